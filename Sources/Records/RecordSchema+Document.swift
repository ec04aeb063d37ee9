import Documents
import SyncCore
import Yams

/// A schema file that cannot be used; the message names the file, the line and the fault.
public typealias SchemaError = DocumentError

extension RecordSchema {
    /// The schema this release ships, version 3: every kind and field the code of this release
    /// knows. A region grows it with a schema file (``grown(by:file:)``).
    public static let builtIn: RecordSchema = {
        do {
            return try parse(yaml: builtInVersion3Document, file: "built-in schema version 3", mode: .release(base: builtInVersion2))
        } catch {
            fatalError("the built-in schema does not parse: \(error)")
        }
    }()

    /// The built-in schema of the releases with the request form, version 2. Frozen.
    public static let builtInVersion2: RecordSchema = {
        do {
            return try parse(yaml: builtInVersion2Document, file: "built-in schema version 2", mode: .release(base: builtInVersion1))
        } catch {
            fatalError("the built-in schema version 2 does not parse: \(error)")
        }
    }()

    /// What version 3 adds to version 2: people and things as the SIS Regulation (EU) 2018/1862
    /// Art. 20(3) and the Universal Message Format describe them, and links between records.
    /// Frozen once released.
    static let builtInVersion3Document = """
        version: 3
        kinds:
          person:
            fields:
              # Lists (add-wins sets, docs/PROTOCOL.md §5.7): every name with its type, every date
              # of birth with its precision, every nationality and national identification number.
              - {name: names, merge: set, format: person_name, search: name}
              - {name: birth_dates, merge: set, format: partial_date, search: identifier}
              - {name: nationalities, merge: set, format: country}
              - {name: national_ids, merge: set, format: national_id, search: identifier}
              - {name: birth_country, format: country}
              - {name: markers, merge: set, allowed: [armed, violent, escaped, suicide_risk, public_health_risk, terrorism]}
              # Directive (EU) 2016/680 Art. 6: every new person says which kind of data subject it is.
              - {name: category, required: true, allowed: [suspect, convicted, victim, witness, contact, associate]}
          document:
            fields:
              - {name: holder, search: name}
              - {name: issue_date, format: date}
              - {name: expiry_date, format: date}
              - {name: issuing_authority}
          organisation:
            review_months: 12
            fields:
              - {name: name, required: true, search: name}
              - {name: organisation_type}
              - {name: country, format: country}
              - {name: registration_number, search: identifier}
              - {name: address}
          object:
            review_months: 12
            fields:
              - {name: object_type, required: true, allowed: [plate, registration_certificate, payment_card, boat, container, other]}
              - {name: identifier, required: true, search: identifier}
              - {name: description}
              - {name: country, format: country}
              - {name: alert, allowed: [stolen, wanted, none]}
          link:
            review_months: 12
            fields:
              - {name: from_id, merge: immutable, required: true, indexed: true}
              - {name: to_id, merge: immutable, required: true, indexed: true}
              - {name: role, required: true, allowed: [owner, driver, holder, associate, member, same_as, not_same]}
              - {name: source}

        """

    /// The built-in schema of the first releases, version 1: what a replica older than schema
    /// documents ran, and the fields the state digest always covers (docs/PROTOCOL.md §7).
    /// Frozen: a release grows the built-in schema with a document of its own.
    public static let builtInVersion1: RecordSchema = {
        do {
            return try parse(yaml: builtInVersion1Document, file: "built-in schema version 1", mode: .builtIn)
        } catch {
            fatalError("the built-in schema version 1 does not parse: \(error)")
        }
    }()

    /// What version 2 adds to version 1: the request form and the request's thread of
    /// Directive (EU) 2023/977 (docs/PROTOCOL.md §5.12). Frozen once released.
    static let builtInVersion2Document = """
        version: 2
        kinds:
          # Review of personal data (Directive (EU) 2016/680 Art. 5): months after creation; a
          # request's after its closure, which its subjects' review follows too.
          person: {review_months: 12}
          vehicle: {review_months: 12}
          document: {review_months: 12}
          firearm: {review_months: 24}
          request:
            review_months: 6
            fields:
              # `urgent` is classified by the requested centre (a thread entry); the two
              # urgent_* values are what earlier releases let the requester pick.
              - {name: urgency, allowed: [urgent]}
              # The form of Art. 4(3)-(6), fixed when the request is sent.
              - {name: purpose, merge: immutable, required: true}
              - {name: offence, merge: immutable, required: true}
              - {name: availability_reasons, merge: immutable, required: true}
              - {name: subject_relation, merge: immutable}
              - {name: urgent_ground, merge: immutable, allowed: [public_security, life_or_integrity, deprivation_of_liberty, loss_of_relevance]}
              - {name: urgent_reasons, merge: immutable}
              - {name: use_restrictions, merge: immutable}
              - {name: language, merge: immutable, required: true}
              - {name: requesting_authority, merge: immutable, required: true}
              - {name: case_number, merge: immutable, required: true}
              # Copies (Art. 8 and 12), recorded at send time.
              - {name: spoc_copy, merge: immutable, required: true, allowed: [sent, not_sent_sensitive_investigation, not_sent_terrorism, not_sent_safety]}
              - {name: europol_copy, merge: immutable, required: true, allowed: [sent, not_needed]}
              - {name: europol_reason, merge: immutable}
          request_entry:
            append_only: true
            fields:
              - {name: record_id, merge: immutable, required: true, indexed: true}
              - {name: type, merge: immutable, required: true, allowed: [classification, answer, partial_answer, refusal, clarification_asked, clarification_given, delay, receipt, close]}
              - {name: text, merge: immutable}
              - {name: access, merge: immutable, allowed: [direct, indirect]}
              - {name: due_at, merge: immutable, format: timestamp}
              - {name: extent, merge: immutable, allowed: [whole, partial]}
              - {name: grounds, merge: immutable}
              - {name: until, merge: immutable, format: timestamp}
              - {name: entry_id, merge: immutable}
              - {name: received_at, merge: immutable, format: timestamp}
          review:
            append_only: true
            fields:
              - {name: record_id, merge: immutable, required: true, indexed: true}
              - {name: keep_until, merge: immutable, required: true, format: date}
              - {name: reason, merge: immutable, required: true}

        """

    /// The built-in schema version 1 as a document.
    static let builtInVersion1Document = """
        version: 1
        # Every kind but the append-only ones has these after its own fields.
        common_fields:
          - {name: handling_code, merge: owner, allowed: [H0, H1, H2, H3]}
          - {name: source_reliability, merge: owner, allowed: [A, B, C, X]}
          - {name: info_accuracy, merge: owner, allowed: ["1", "2", "3", "4"]}
          - {name: derived_from, merge: owner}
        kinds:
          person:
            fields:
              - {name: family_name, required: true, search: name}
              - {name: given_name, search: name}
              - {name: birth_date, format: date}
              - {name: birth_place}
              - {name: nationality, format: country}
              - {name: sex, allowed: [F, M, X]}
              - {name: aliases, search: name}
              - {name: alert, allowed: [wanted, missing, suspect, none]}
              - {name: reason}
          vehicle:
            fields:
              - {name: plate, search: identifier}
              - {name: vin, search: identifier}
              - {name: make}
              - {name: model}
              - {name: colour}
              - {name: registration_country, format: country}
              - {name: alert, allowed: [stolen, wanted, none]}
          document:
            fields:
              - {name: doc_type, required: true}
              - {name: number, required: true, search: identifier}
              - {name: issuing_country, format: country}
              - {name: status, allowed: [stolen, lost, invalid, "false", misappropriated]}
          firearm:
            fields:
              - {name: serial, required: true, search: identifier}
              - {name: make}
              - {name: model}
              - {name: calibre}
              - {name: status}
          request:
            fields:
              - {name: from_node, merge: immutable, indexed: true}
              - {name: to_node, merge: immutable, required: true, indexed: true}
              - {name: urgency, merge: immutable, allowed: [urgent_direct, urgent_indirect, standard], required: true}
              - {name: subject_ids, merge: immutable}
              - {name: question, required: true}
              - {name: status, merge: max, allowed: [open, acknowledged, answered, closed]}
              - {name: answer}
              # Set by the requested node when the request reaches it; the deadline runs from there.
              - {name: received_at, format: timestamp, managed: true}
              - {name: due_at, format: timestamp, managed: true}
          hit:
            append_only: true
            fields:
              - {name: record_id, merge: immutable, required: true, indexed: true}
              - {name: place, merge: immutable}
              - {name: checked_at, merge: immutable, format: timestamp}
              - {name: outcome, merge: immutable}
          note:
            append_only: true
            fields:
              - {name: record_id, merge: immutable, required: true, indexed: true}
              - {name: author, merge: immutable}
              - {name: text, merge: immutable, required: true}
          erasure_request:
            append_only: true
            fields:
              - {name: record_id, merge: immutable, required: true, indexed: true}
              - {name: reason, merge: immutable, required: true}
              - {name: author, merge: immutable}
              - {name: text, merge: immutable}

        """

    /// This schema grown by a region's schema file: new kinds, new fields of existing kinds,
    /// new allowed values of existing fields, under a greater version (docs/SCHEMA.md).
    /// `file` only names the source in errors.
    public func grown(by yaml: String, file: String) throws(SchemaError) -> RecordSchema {
        try Self.parse(yaml: yaml, file: file, mode: .region(base: self))
    }

    /// A schema written out in full by ``document``, as a replica keeps the one it runs with.
    public static func parseDocument(_ yaml: String, file: String) throws(SchemaError) -> RecordSchema {
        try parse(yaml: yaml, file: file, mode: .full)
    }

    /// Refuses a schema that is not `older` grown: every kind and field of `older` must be here
    /// with the same merge class, format and flags and at least its allowed values, and a
    /// different schema must carry a greater version. Equal schemas pass.
    public func checkGrowth(from older: RecordSchema, file: String) throws(SchemaError) {
        func refuse(_ reason: String) -> SchemaError { SchemaError(file: file, line: nil, reason) }
        if version < older.version {
            throw refuse("this is schema version \(version) and the replica runs version \(older.version); a schema never goes back")
        }
        for old in older.kinds {
            guard let kind = self[old.kind] else {
                throw refuse("kind \(old.kind) of schema version \(older.version) is missing; a schema never removes a kind")
            }
            guard kind.isAppendOnly == old.isAppendOnly else { throw refuse("kind \(old.kind) changes whether it is append-only") }
            for oldField in old.fields {
                guard let field = kind.field(named: oldField.name) else {
                    throw refuse("field \(old.kind).\(oldField.name) of schema version \(older.version) is missing; a schema never removes a field")
                }
                guard field.mergeClass == oldField.mergeClass else {
                    throw refuse("field \(old.kind).\(oldField.name) changes its merge class; merge classes never change")
                }
                guard field.format == oldField.format, field.isRequired == oldField.isRequired, field.isManaged == oldField.isManaged,
                    field.search == oldField.search, field.isIndexed == oldField.isIndexed
                else {
                    throw refuse("field \(old.kind).\(oldField.name) changes its format, search or flags; a schema may only add allowed values to a field")
                }
                switch (oldField.allowedValues, field.allowedValues) {
                case (nil, nil): break
                case (let before?, let after?) where before.allSatisfy(after.contains): break
                default: throw refuse("field \(old.kind).\(oldField.name) loses allowed values; a schema may only add them")
                }
            }
        }
        if version == older.version, self != older {
            throw refuse("schema version \(version) differs from the version \(version) the replica runs; give the grown schema a greater version")
        }
    }

    /// The schema written out in full, every kind and field explicit: what a replica keeps, what
    /// `pccc schema show` prints, and a valid input of ``parseDocument(_:file:)``.
    public var document: String {
        func quoted(_ text: String) -> String {
            var result = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": result += "\\\""
                case "\\": result += "\\\\"
                case _ where scalar.value < 0x20 || scalar.value == 0x7F: result += "\\u" + String(format4(scalar.value))
                default: result.unicodeScalars.append(scalar)
                }
            }
            return result + "\""
        }
        func format4(_ value: UInt32) -> String {
            let hex = String(value, radix: 16)
            return String(repeating: "0", count: 4 - hex.count) + hex
        }
        var lines = ["version: \(version)", "kinds:"]
        for kind in kinds {
            lines.append("  \(kind.kind.rawValue):")
            if kind.isAppendOnly { lines.append("    append_only: true") }
            if let months = kind.reviewMonths { lines.append("    review_months: \(months)") }
            lines.append("    fields:")
            for field in kind.fields {
                var parts = ["name: \(field.name)"]
                switch field.mergeClass {
                case .lww: break
                case .owner: parts.append("merge: owner")
                case .immutable: parts.append("merge: immutable")
                case .max: parts.append("merge: max")
                case .set: parts.append("merge: set")
                }
                if let allowed = field.allowedValues { parts.append("allowed: [\(allowed.map(quoted).joined(separator: ", "))]") }
                if field.isRequired { parts.append("required: true") }
                if field.format != .text { parts.append("format: \(field.format.rawValue)") }
                if field.isManaged { parts.append("managed: true") }
                if field.search != .none { parts.append("search: \(field.search.rawValue)") }
                if field.isIndexed { parts.append("indexed: true") }
                lines.append("      - {\(parts.joined(separator: ", "))}")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    enum Mode {
        /// The built-in document: common fields allowed, every kind built in.
        case builtIn
        /// A schema written out in full by `document`.
        case full
        /// A region's file, growing `base`.
        case region(base: RecordSchema)
        /// A release's growth of the built-in schema `base`: like a region's file, but its new
        /// kinds are built in and may be append-only.
        case release(base: RecordSchema)

        /// The schema a growing document extends, or nil for a whole one.
        var base: RecordSchema? {
            switch self {
            case .builtIn, .full: nil
            case .region(let base), .release(let base): base
            }
        }
    }

    static func parse(yaml: String, file: String, mode: Mode) throws(SchemaError) -> RecordSchema {
        let root = try DocumentYAML.compose(yaml, file: file, whenEmpty: "the schema file is empty")
        return try SchemaParser(file: file, mode: mode).schema(root)
    }

}

/// Reads a schema document node by node, so every error names its line.
private struct SchemaParser {
    let file: String
    let mode: RecordSchema.Mode

    /// Columns every kind's table has besides its fields.
    static let reservedColumns: Set<String> = ["id", "sharing_group", "origin", "created_at", "field_clocks", "last_hlc"]
    /// The longest kind or field name.
    static let maxNameLength = 48
    /// The most kinds, fields of a kind, and allowed values of a field a schema may have:
    /// bounds on the tables and statements a schema makes a node build.
    static let maxKinds = 64
    static let maxFieldsPerKind = 200
    static let maxAllowedValues = 1000

    func fail(_ node: Yams.Node?, _ reason: String) -> SchemaError {
        SchemaError(file: file, line: node?.mark?.line, reason)
    }

    func schema(_ root: Yams.Node) throws(SchemaError) -> RecordSchema {
        guard let mapping = root.mapping else { throw fail(root, "the schema must be a mapping with version and kinds") }
        var keys = ["version", "kinds"]
        if case .builtIn = mode { keys.append("common_fields") }
        try checkKeys(mapping, allowed: keys, in: "the schema")
        guard let versionNode = mapping["version"], let versionText = versionNode.string, let version = Int(versionText), version >= 1,
            version < 1_000_000
        else {
            throw fail(mapping["version"] ?? root, "version must be a whole number from 1")
        }
        if let base = mode.base, version <= base.version {
            throw fail(versionNode, "version must be greater than \(base.version), the version of the schema it grows")
        }
        let common = try mapping["common_fields"].map { node throws(SchemaError) in try fieldList(node, of: "common_fields") } ?? []
        guard let kindsNode = mapping["kinds"], let kindEntries = kindsNode.mapping else {
            throw fail(mapping["kinds"] ?? root, "kinds must be a mapping of kind names to their fields")
        }
        guard kindEntries.count <= Self.maxKinds else { throw fail(kindsNode, "a schema has at most \(Self.maxKinds) kinds") }
        var kinds: [KindSchema] = []
        var grownKinds: [String: KindSchema] = [:]
        for (nameNode, body) in kindEntries {
            guard let name = nameNode.string, Self.isName(name) else {
                throw fail(nameNode, "a kind name must be lowercase letters, digits and '_', starting with a letter, at most \(Self.maxNameLength) long")
            }
            guard grownKinds[name] == nil, !kinds.contains(where: { $0.kind.rawValue == name }) else { throw fail(nameNode, "kind \(name) is defined twice") }
            guard let entry = body.mapping else { throw fail(body, "kind \(name) must be a mapping with fields") }
            try checkKeys(entry, allowed: ["fields", "append_only", "review_months"], in: "kind \(name)")
            let appendOnly = try flag(entry["append_only"], "append_only", of: "kind \(name)")
            let reviewMonths = try months(entry["review_months"], of: name, appendOnly: appendOnly)
            // A kind the base has may be named only to set its review period.
            let fieldsNode = entry["fields"]
            if fieldsNode == nil, mode.base?.kind(named: name) == nil || reviewMonths == nil { throw fail(body, "kind \(name) needs fields") }
            switch mode {
            case .region(let base), .release(let base):
                let byRelease: Bool
                if case .release = mode { byRelease = true } else { byRelease = false }
                if let existing = base.kind(named: name) {
                    if entry["append_only"] != nil { throw fail(entry["append_only"], "kind \(name) exists; a schema cannot change whether it is append-only") }
                    if existing.isAppendOnly, reviewMonths != nil {
                        throw fail(entry["review_months"], "kind \(name) is appended to a record and reviewed with it; it has no review period")
                    }
                    let grown = try fieldsNode.map { node throws(SchemaError) in try grow(existing, by: node, byRegion: !byRelease) } ?? existing
                    grownKinds[name] = grown.reviewed(every: reviewMonths ?? existing.reviewMonths)
                } else {
                    if appendOnly, !byRelease {
                        throw fail(entry["append_only"], "a region's kind cannot be append-only; hits, notes and erasure requests are")
                    }
                    let own = try fieldList(fieldsNode!, of: name, byRegion: !byRelease)
                    let all = appendOnly ? own : own + RecordSchema.builtInVersion1.commonFields
                    guard all.count <= Self.maxFieldsPerKind else {
                        throw fail(fieldsNode, "kind \(name) has more than \(Self.maxFieldsPerKind) fields")
                    }
                    // The digest covers a kind's fields always only from the schema of the first
                    // releases; a later kind's count where set (docs/PROTOCOL.md §7).
                    // A region's kind is reviewed yearly unless its file says otherwise.
                    kinds.append(
                        KindSchema(
                            kind: RecordKind(name), isAppendOnly: appendOnly, isBuiltIn: byRelease, fields: all, builtInFieldNames: [],
                            reviewMonths: appendOnly ? nil : reviewMonths ?? Self.defaultReviewMonths))
                }
            case .builtIn:
                let own = try fieldList(fieldsNode!, of: name)
                let all = appendOnly ? own : own + common
                kinds.append(
                    KindSchema(
                        kind: RecordKind(name), isAppendOnly: appendOnly, isBuiltIn: true, fields: all, builtInFieldNames: Set(all.map(\.name)),
                        reviewMonths: reviewMonths))
            case .full:
                let all = try fieldList(fieldsNode!, of: name)
                let builtIn = RecordSchema.builtIn.kind(named: name)
                kinds.append(
                    KindSchema(
                        kind: RecordKind(name), isAppendOnly: appendOnly, isBuiltIn: builtIn != nil, fields: all,
                        builtInFieldNames: builtIn?.builtInFieldNames ?? [], reviewMonths: reviewMonths))
            }
        }
        if let base = mode.base {
            // The base's kinds keep their order; new kinds follow in the file's.
            kinds = base.kinds.map { grownKinds[$0.kind.rawValue] ?? $0 } + kinds
        }
        guard kinds.count <= Self.maxKinds else { throw fail(kindsNode, "a schema has at most \(Self.maxKinds) kinds") }
        if case .builtIn = mode { return RecordSchema(version: version, kinds: kinds, commonFields: common) }
        return RecordSchema(version: version, kinds: kinds)
    }

    /// How many months after its creation a region's kind is reviewed when its file does not say.
    static let defaultReviewMonths = 12
    /// The longest review period a kind may have; a request's is at most six months after its
    /// closure (Art. 16(3) of Directive (EU) 2023/977).
    static let maxReviewMonths = 120
    static let maxRequestReviewMonths = 6

    /// A kind's `review_months`: nil when absent; refused on an append-only kind, outside 1 to
    /// 120, or above 6 for requests.
    func months(_ node: Yams.Node?, of kind: String, appendOnly: Bool) throws(SchemaError) -> Int? {
        guard let node else { return nil }
        if appendOnly { throw fail(node, "kind \(kind) is appended to a record and reviewed with it; it has no review period") }
        let limit = kind == RecordKind.request.rawValue ? Self.maxRequestReviewMonths : Self.maxReviewMonths
        guard let text = node.string, let months = Int(text), (1...limit).contains(months) else {
            throw fail(node, "review_months of kind \(kind) must be a whole number of months from 1 to \(limit)")
        }
        return months
    }

    /// An existing kind with the file's entries for it: new fields, or new allowed values of a
    /// field it has.
    func grow(_ kind: KindSchema, by node: Yams.Node, byRegion: Bool) throws(SchemaError) -> KindSchema {
        guard let items = node.sequence, !items.isEmpty else { throw fail(node, "fields of \(kind.kind) must be a non-empty list") }
        var fields = kind.fields
        var named = Set<String>()
        for item in items {
            guard let entry = item.mapping, let nameNode = entry["name"], let name = nameNode.string else {
                throw fail(item, "each field must be a mapping with a name")
            }
            guard named.insert(name).inserted else { throw fail(nameNode, "field \(kind.kind).\(name) is listed twice") }
            if let index = fields.firstIndex(where: { $0.name == name }) {
                let existing = fields[index]
                for (key, _) in entry where key.string != "name" && key.string != "allowed" {
                    throw fail(key, "field \(kind.kind).\(name) exists; a schema may only add allowed values to it, not change its \(key.string ?? "?")")
                }
                guard let allowedNode = entry["allowed"] else { throw fail(item, "field \(kind.kind).\(name) exists; list the allowed values it gains") }
                guard existing.allowedValues != nil else {
                    throw fail(allowedNode, "field \(kind.kind).\(name) is free text; a schema cannot limit its values")
                }
                if case .max = existing.mergeClass {
                    throw fail(allowedNode, "field \(kind.kind).\(name) merges by the order of its values; a new value would change that order")
                }
                let added = try strings(allowedNode, "allowed", of: "field \(kind.kind).\(name)")
                fields[index] = existing.allowing(added)
                guard fields[index].allowedValues!.count <= Self.maxAllowedValues else {
                    throw fail(allowedNode, "field \(kind.kind).\(name) has more than \(Self.maxAllowedValues) allowed values")
                }
            } else {
                fields.append(byRegion ? try regionField(item, of: kind.kind.rawValue) : try fieldSpec(item, of: kind.kind.rawValue))
            }
        }
        guard fields.count <= Self.maxFieldsPerKind else { throw fail(node, "kind \(kind.kind) has more than \(Self.maxFieldsPerKind) fields") }
        return KindSchema(
            kind: kind.kind, isAppendOnly: kind.isAppendOnly, isBuiltIn: kind.isBuiltIn, fields: fields, builtInFieldNames: kind.builtInFieldNames,
            reviewMonths: kind.reviewMonths)
    }

    /// The fields listed under `node`; `byRegion` applies a region's own rules to each.
    func fieldList(_ node: Yams.Node, of owner: String, byRegion: Bool = false) throws(SchemaError) -> [FieldSpec] {
        guard let items = node.sequence, !items.isEmpty else { throw fail(node, "fields of \(owner) must be a non-empty list") }
        guard items.count <= Self.maxFieldsPerKind else { throw fail(node, "\(owner) has more than \(Self.maxFieldsPerKind) fields") }
        var fields: [FieldSpec] = []
        for item in items {
            let field = byRegion ? try regionField(item, of: owner) : try fieldSpec(item, of: owner)
            guard !fields.contains(where: { $0.name == field.name }) else {
                throw fail(item.mapping?["name"] ?? item, "field \(owner).\(field.name) is listed twice")
            }
            fields.append(field)
        }
        return fields
    }

    /// A field a region adds: what the node's own code alone may define (a managed field, one
    /// of the fields every kind has) is refused.
    func regionField(_ item: Yams.Node, of owner: String) throws(SchemaError) -> FieldSpec {
        let field = try fieldSpec(item, of: owner)
        if field.isManaged {
            throw fail(item.mapping?["managed"] ?? item, "field \(owner).\(field.name) cannot be managed; only the node's own code writes managed fields")
        }
        if RecordSchema.builtInVersion1.commonFields.contains(where: { $0.name == field.name }) {
            throw fail(item.mapping?["name"] ?? item, "\(field.name) is a field every kind has already; choose another field name")
        }
        return field
    }

    func fieldSpec(_ item: Yams.Node, of owner: String) throws(SchemaError) -> FieldSpec {
        guard let entry = item.mapping else { throw fail(item, "each field of \(owner) must be a mapping with a name") }
        guard let nameNode = entry["name"], let name = nameNode.string, Self.isName(name) else {
            throw fail(
                entry["name"] ?? item, "a field name must be lowercase letters, digits and '_', starting with a letter, at most \(Self.maxNameLength) long")
        }
        guard !Self.reservedColumns.contains(name) else {
            throw fail(nameNode, "\(name) is a column every record has; choose another field name")
        }
        let what = "field \(owner).\(name)"
        try checkKeys(entry, allowed: ["name", "merge", "allowed", "required", "format", "managed", "search", "indexed"], in: what)
        let allowed = try entry["allowed"].map { node throws(SchemaError) in try strings(node, "allowed", of: what) }
        let mergeClass: MergeClass
        switch entry["merge"]?.string {
        case nil where entry["merge"] == nil, "lww": mergeClass = .lww
        case "owner": mergeClass = .owner
        case "immutable": mergeClass = .immutable
        case "max":
            guard let allowed else { throw fail(entry["merge"], "\(what) merges by max and needs its values in order under allowed") }
            mergeClass = .max(order: allowed)
        case "set": mergeClass = .set
        default: throw fail(entry["merge"], "merge of \(what) must be lww, owner, immutable, max or set")
        }
        var format = FieldFormat.text
        if let formatNode = entry["format"] {
            guard let text = formatNode.string, let parsed = FieldFormat(rawValue: text) else {
                throw fail(formatNode, "format of \(what) must be text, date, country, timestamp, person_name, partial_date or national_id")
            }
            format = parsed
        }
        if mergeClass == .set {
            // A set's column holds its elements as one JSON array, which neither an index nor the
            // node's own code (managed fields) has a use for.
            for key in ["indexed", "managed"] where entry[key]?.string == "true" {
                throw fail(entry[key], "\(what) merges as a set; a set field cannot be \(key)")
            }
        }
        var search = FieldSpec.Search.none
        if let searchNode = entry["search"] {
            guard let text = searchNode.string, let parsed = FieldSpec.Search(rawValue: text), parsed != .none else {
                throw fail(searchNode, "search of \(what) must be name or identifier")
            }
            search = parsed
        }
        return FieldSpec(
            name, mergeClass, allowed: allowed,
            required: try flag(entry["required"], "required", of: what), format: format,
            managed: try flag(entry["managed"], "managed", of: what), search: search,
            indexed: try flag(entry["indexed"], "indexed", of: what))
    }

    func strings(_ node: Yams.Node, _ key: String, of what: String) throws(SchemaError) -> [String] {
        guard let items = node.sequence, !items.isEmpty else { throw fail(node, "\(key) of \(what) must be a non-empty list of values") }
        guard items.count <= Self.maxAllowedValues else { throw fail(node, "\(what) has more than \(Self.maxAllowedValues) allowed values") }
        var values: [String] = []
        for item in items {
            guard let value = item.string, !value.isEmpty, value.utf8.count <= 256 else {
                throw fail(item, "each value of \(key) of \(what) must be text of 1 to 256 bytes")
            }
            guard !values.contains(value) else { throw fail(item, "\(what) lists \(value) twice") }
            values.append(value)
        }
        return values
    }

    func flag(_ node: Yams.Node?, _ key: String, of what: String) throws(SchemaError) -> Bool {
        guard let node else { return false }
        switch node.string {
        case "true": return true
        case "false": return false
        default: throw fail(node, "\(key) of \(what) must be true or false")
        }
    }

    func checkKeys(_ mapping: Yams.Node.Mapping, allowed: [String], in what: String) throws(SchemaError) {
        for (key, _) in mapping {
            guard let name = key.string, allowed.contains(name) else {
                throw fail(key, "unknown key \(key.string ?? "?") in \(what); the keys are \(allowed.joined(separator: ", "))")
            }
        }
    }

    static func isName(_ text: String) -> Bool {
        guard let first = text.utf8.first, first >= 97, first <= 122, text.utf8.count <= maxNameLength else { return false }
        return text.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }
}
