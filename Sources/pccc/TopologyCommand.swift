import ArgumentParser
import Foundation
import Topology

struct TopologyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract: "Check and draw a region's topology file.",
        subcommands: [Validate.self, Show.self]
    )

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a topology file; every error names the file, the line and what is wrong."
        )
        @Argument(help: "The topology file.") var file: String

        func run() throws {
            let topology = try TopologyCommand.load(file)
            print("\(file): valid: \(topology.summary)")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print nodes, links, groups and each group's reachability, as text, Graphviz dot or SVG."
        )
        enum Format: String, ExpressibleByArgument, CaseIterable {
            case text, dot, svg
        }
        @Argument(help: "The topology file.") var file: String
        @Option(help: "text, dot or svg.") var format: Format = .text

        func run() throws {
            let topology = try TopologyCommand.load(file, requireReachable: false)
            switch format {
            case .text: print(topology.text())
            case .dot: print(topology.dot())
            case .svg: print(topology.svg())
            }
        }
    }

    /// Reads and validates a topology file, turning its errors into the CLI's one sentence.
    static func load(_ file: String, requireReachable: Bool = true) throws -> RegionTopology {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw CLIError("cannot read the topology file \(file)")
        }
        do {
            return requireReachable ? try RegionTopology.validate(yaml: text, file: file) : try RegionTopology.parse(yaml: text, file: file)
        } catch {
            throw CLIError(error.description)
        }
    }
}
