#if canImport(Glibc)
    import Glibc
#endif

/// Notices that the process which started this one has ended, for a node run by a script or a
/// supervisor that may itself be killed without a chance to stop its children (the demo, the
/// benchmark). Linux re-parents an orphan, so its parent process id changes.
public enum ParentProcessWatch {
    /// Polls the parent process id every `interval` and calls `onEnd` once it differs from the
    /// one this process had when the watch started. Cancel the task to stop watching.
    public static func start(every interval: Duration = .milliseconds(250), onEnd: @escaping @Sendable (_ parent: Int32) -> Void) -> Task<Void, Never> {
        let parent = getppid()
        return Task {
            while !Task.isCancelled {
                if getppid() != parent {
                    onEnd(parent)
                    return
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
