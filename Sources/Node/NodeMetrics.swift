import CoreMetrics
import NIOConcurrencyHelpers
import Replica
import SyncCore

/// The node's metrics, through swift-metrics: whatever backend the process bootstraps
/// (`pccc serve` bootstraps Prometheus) receives them; without one they cost nothing.
/// docs/METRICS.md lists every name and label.
enum NodeMetrics {
    static func sessionsOpen(_ count: Int) {
        Gauge(label: "pccc_connections").record(count)
    }

    /// Replica work the node went on without failed; the log line says which.
    static func storageFailed() {
        Counter(label: "pccc_storage_failures_total").increment()
    }

    /// A reload of the TLS material: a refusal is counted, and the gauge says whether the
    /// files on disk are refused now.
    static func credentialsReloaded(refused: Bool) {
        if refused { Counter(label: "pccc_tls_reload_failures_total").increment() }
        Gauge(label: "pccc_tls_reload_refused").record(refused ? 1 : 0)
    }

    static func sessionStarted() {
        Counter(label: "pccc_sessions_total").increment()
    }

    static func batchesSent(_ count: Int) {
        Counter(label: "pccc_batches_sent_total").increment(by: count)
    }

    static func batchReceived(_ outcome: ApplyOutcome, applyNanoseconds: Int64) {
        let result: String
        switch outcome {
        case .applied, .appliedGivingWay: result = "applied"
        case .gaveWay: result = "gave_way"
        case .superseded: result = "superseded"
        case .duplicate: result = "duplicate"
        case .heldBack: result = "held_back"
        case .forked: result = "forked"
        case .restoreDetected: result = "restore_detected"
        case .partedEarlier: result = "parted_earlier"
        case .revoked: result = "revoked"
        case .rejected(let rejection):
            result = "rejected"
            Counter(label: "pccc_refused_batches_total", dimensions: [("reason", rejection.code.rawValue)]).increment()
        }
        Counter(label: "pccc_batches_received_total", dimensions: [("result", result)]).increment()
        Timer(label: "pccc_batch_apply_seconds").recordNanoseconds(applyNanoseconds)
    }
}

extension NodeStatus {
    /// The alarm codes a node raises, each shown by `pccc_alarms_by_code` even at zero, so an
    /// alarm that clears goes back to 0 rather than staying at its last value.
    static let alarmCodes = [
        "fork", "clock_skew", "orphans_full", "quarantine_full", "redacted_without_tombstone", "redactions_full", "restore_detected",
        "revoked_key", "epochs_full", "unknown_signing_key", "audit_diverged", "audit_rewound",
    ]

    /// Records the gauges read from the replica at scrape time: per-peer lag and connection,
    /// quarantined batches and alarms.
    public func recordMetrics() {
        for peer in peers {
            let label = [("peer", peer.peer.rawValue)]
            Gauge(label: "pccc_peer_connected", dimensions: label).record(peer.connected ? 1 : 0)
            Gauge(label: "pccc_peer_lag_batches", dimensions: label).record(Int64(clamping: peer.totalLag))
            Gauge(label: "pccc_peer_lag_seconds", dimensions: label).record(Int64(clamping: peer.oldestWaitingSeconds))
        }
        Gauge(label: "pccc_quarantined_batches").record(quarantined)
        Gauge(label: "pccc_alarms").record(alarms.count)
        for code in Set(Self.alarmCodes).union(alarms.map(\.code)) {
            Gauge(label: "pccc_alarms_by_code", dimensions: [("code", code)]).record(alarms.filter { $0.code == code }.count)
        }
        Gauge(label: "pccc_groups_split").record(groups.filter { !$0.unreachable.isEmpty }.count)
        let names = Set(certificates.map(\.certificate.name))
        for expiry in certificates {
            Gauge(label: "pccc_certificate_expiry_timestamp_seconds", dimensions: [("certificate", expiry.certificate.name)])
                .record(Int64(expiry.certificate.notAfter.timeIntervalSince1970.rounded(.down)))
        }
        // A CA removed from the bundle, or a peer no longer linked, leaves the scrape.
        let gone = Self.certificateGauges.withLockedValue { recorded in
            defer { recorded = names }
            return recorded.subtracting(names)
        }
        for name in gone { Gauge(label: "pccc_certificate_expiry_timestamp_seconds", dimensions: [("certificate", name)]).destroy() }
    }

    /// The `certificate` labels of the expiry gauges recorded at the last scrape.
    private static let certificateGauges = NIOLockedValueBox<Set<String>>([])
}
