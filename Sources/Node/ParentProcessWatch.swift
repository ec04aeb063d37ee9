#if canImport(Glibc)
    import Glibc
#endif

/// Notices that the process which started this one has ended, for a node run by a script or a
/// supervisor that may itself be killed without a chance to stop its children (the demo, the
/// benchmark). Linux re-parents an orphan, so its parent process id changes.
public enum ParentProcessWatch {
    /// This process's parent when the program started, before anything slow: read later, a
    /// parent killed in the meantime would already have been replaced.
    public static let parentAtStart = getppid()

    /// Polls the parent process id every `interval` and calls `onEnd` once it is no longer
    /// ``parentAtStart``, at once if it already is not. Cancel the task to stop watching.
    public static func start(every interval: Duration = .milliseconds(250), onEnd: @escaping @Sendable (_ parent: Int32) -> Void) -> Task<Void, Never> {
        let parent = parentAtStart
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
