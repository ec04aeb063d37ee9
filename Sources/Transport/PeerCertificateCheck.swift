import SyncCore
import Topology
import X509

/// Whether a peer's certificate, already chained to the region CA by TLS, may open a session
/// with this node (DESIGN §2). A refusal is a value with the sentence that is logged.
public enum PeerAcceptance: Equatable, Sendable {
    /// The certificate names this node id, which may connect.
    case accepted(nodeID: NodeID)
    /// Refused, with why.
    case refused(HandshakeRefusal)
}

/// Which end of the link this node is.
public enum LinkRole: Equatable, Sendable {
    /// This node accepted the connection; the peer must be the dialing end of a link to it.
    case listener
    /// This node dialed `expectedPeer`; the certificate must be that node's.
    case dialer(expectedPeer: NodeID)
}

/// The checks TLS cannot make: revocation, the node id in the SAN URI, and the link.
public struct PeerCertificateCheck: Sendable {
    /// The region's topology.
    public let topology: RegionTopology
    /// This node's id.
    public let localNode: NodeID

    /// Creates the check.
    public init(topology: RegionTopology, localNode: NodeID) {
        self.topology = topology
        self.localNode = localNode
    }

    /// Checks a DER-encoded leaf certificate.
    public func evaluate(leafDER: [UInt8], role: LinkRole) -> PeerAcceptance {
        let certificate: Certificate
        do {
            certificate = try Certificate(derEncoded: leafDER)
        } catch {
            return .refused(HandshakeRefusal(.unreadableCertificate, "the peer certificate cannot be parsed"))
        }
        let serial = Array(certificate.serialNumber.bytes)
        let nodeIDs = RegionCertificates.nodeIDs(in: certificate)
        guard nodeIDs.count == 1, let nodeID = nodeIDs.first else {
            return .refused(
                HandshakeRefusal(
                    .noNodeName,
                    "the peer certificate (serial \(RegionCertificates.serialText(serial))) must name exactly one pccc://node/<id> URI, it names \(nodeIDs.count)"
                ))
        }
        guard !topology.isRevoked(serial: serial) else {
            return .refused(HandshakeRefusal(.revoked, "the certificate of \(nodeID) (serial \(RegionCertificates.serialText(serial))) is revoked"))
        }
        guard topology.node(nodeID) != nil else {
            return .refused(HandshakeRefusal(.unknownNode, "node \(nodeID) is not in the topology"))
        }
        switch role {
        case .listener:
            guard topology.hasLink(dialer: nodeID, listener: localNode) else {
                return .refused(HandshakeRefusal(.noLink, "no link in the topology lets \(nodeID) dial \(localNode)"))
            }
        case .dialer(let expected):
            guard nodeID == expected else {
                return .refused(HandshakeRefusal(.wrongPeer, "dialed \(expected) but the certificate is of \(nodeID)"))
            }
            guard topology.hasLink(dialer: localNode, listener: nodeID) else {
                return .refused(HandshakeRefusal(.noLink, "no link in the topology lets \(localNode) dial \(nodeID)"))
            }
        }
        return .accepted(nodeID: nodeID)
    }
}
