import Foundation
import TestSupport
import Testing

/// `pccc serve --api` as staff use it: two real nodes over mutual TLS, a record created through
/// one node's HTTP API and read through the other's, with the sync visible in /metrics.
@Suite(.serialized, .ownThread) struct ServeAPITests {
    @Test func aRecordPostedAtOneNodesAPIIsReadAtTheOthersAndTheMetricsCountTheBatches() throws {
        let region = try LiveRegion(nodes: ["a", "b"], links: [LiveRegion.Link(from: "a", to: "b")], groups: ["region": ["a", "b"]])
        try region.start("b", api: true)
        try region.start("a", api: true)
        try region.waitUntil("the a–b session", seconds: 10) { try region.isConnected("a", to: "b") }
        let tokenA = try region.adminToken(at: "a")
        let tokenB = try region.adminToken(at: "b")

        let page = try region.http("b", "GET", "/")
        #expect(page.status == 200 && page.body.contains("<title>PCCC Sync</title>"))
        #expect(try region.http("b", "GET", "/api/me").status == 401)
        #expect(try region.http("b", "GET", "/api/me", token: tokenA).status == 401, "a token of node a means nothing at node b")

        let created = try region.http(
            "a", "POST", "/api/records", token: tokenA,
            json: ["kind": "person", "group": "region", "fields": ["category": "suspect", "family_name": "Трајковски"]]
        )
        #expect(created.status == 201, "\(created.body)")
        let id = try #require((created.json as? [String: Any])?["id"] as? String)
        try region.waitUntil("the record at b's API", seconds: 10) { try region.http("b", "GET", "/api/records/\(id)", token: tokenB).status == 200 }
        let record = try #require(try region.http("b", "GET", "/api/records/\(id)", token: tokenB).json as? [String: Any])
        let family = try #require((record["fields"] as? [String: [String: Any]])?["family_name"])
        #expect(family["value"] as? String == "Трајковски" && family["by"] as? String == "a")
        let hits = try #require(try region.http("b", "GET", "/api/search?q=trajkovski", token: tokenB).json as? [[String: Any]])
        #expect(hits.map { $0["id"] as? String } == [id])

        // b's status through the API: a connected, and once a's acknowledgement is written
        // (the next heartbeat), no lag.
        try region.waitUntil("b's API to show a connected with no lag", seconds: 10) {
            let status = try region.http("b", "GET", "/api/status", token: tokenB).json as? [String: Any]
            let peer = (status?["peers"] as? [[String: Any]])?.first
            return peer?["peer"] as? String == "a" && peer?["connected"] as? Bool == true && peer?["lag"] as? Int == 0
                && peer?["lag_seconds"] as? Int == 0
        }

        #expect(try region.metric("b", "pccc_connections") == 1)
        #expect(try region.metric("b", "pccc_peer_connected{peer=\"a\"}") == 1)
        #expect(try region.metric("b", "pccc_peer_lag_batches{peer=\"a\"}") == 0)
        #expect((try region.metric("b", "pccc_batches_received_total{result=\"applied\"}") ?? 0) >= 1)
        #expect((try region.metric("b", "pccc_batch_apply_seconds_count") ?? 0) >= 1)
        #expect((try region.metric("a", "pccc_batches_sent_total") ?? 0) >= 1)
        #expect(try region.metric("b", "pccc_refused_batches_total{reason=\"bad_signature\"}") == nil, "nothing was refused")

        // a stops: b's metrics show the link down.
        region.stop("a")
        try region.waitUntil("b's metrics to show a down", seconds: 10) { try region.metric("b", "pccc_peer_connected{peer=\"a\"}") == 0 }
        #expect(try region.metric("b", "pccc_connections") == 0)
    }
}
