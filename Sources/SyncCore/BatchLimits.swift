/// Hard limits checked on every received batch before anything large is allocated.
public struct BatchLimits: Sendable, Equatable {
    /// The largest envelope accepted, in bytes (fits in one default 4 MiB frame).
    public var maxEnvelopeBytes: Int
    /// The largest inflated payload accepted, in bytes.
    public var maxRawBytes: Int
    /// The largest inflated-to-compressed ratio accepted.
    public var maxInflateRatio: Int
    /// The most leaves one batch may hold.
    public var maxChanges: Int

    /// Creates limits.
    public init(maxEnvelopeBytes: Int, maxRawBytes: Int, maxInflateRatio: Int, maxChanges: Int) {
        self.maxEnvelopeBytes = maxEnvelopeBytes
        self.maxRawBytes = maxRawBytes
        self.maxInflateRatio = maxInflateRatio
        self.maxChanges = maxChanges
    }

    /// 4 MiB envelopes minus frame overhead, 32 MiB raw, ratio 200, 100,000 changes.
    public static let `default` = BatchLimits(
        maxEnvelopeBytes: 4 * 1024 * 1024 - 64,
        maxRawBytes: 32 * 1024 * 1024,
        maxInflateRatio: 200,
        maxChanges: 100_000
    )
}
