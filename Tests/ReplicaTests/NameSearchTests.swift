import Records
import Replica
import SyncCore
import TestSupport
import Testing

/// Name search through the real FTS5 index: spellings of one name in different scripts find
/// each other, both ways; different names do not.
@Suite(.ownThread) struct NameSearchTests {
    /// Pairs of spellings of one name: (stored, searched). Each is tested both ways.
    static let samePerson: [(String, String)] = [
        ("Ђорђевић", "Đorđević"), ("Ђорђевић", "Djordjevic"), ("Ђорђевић", "Dordevic"), ("Đorđević", "Djordjevic"),
        ("Đorđević", "Dordevic"), ("Djordjevic", "Dordevic"), ("Петровић", "Petrovic"), ("Petrović", "PETROVIC"),
        ("Јовановић", "Jovanovic"), ("Ћирић", "Ciric"), ("Чолић", "Čolić"), ("Шешељ", "Seselj"), ("Жужа", "Zuza"),
        ("Љубица", "Ljubica"), ("Њемачки", "Njemacki"), ("Џаја", "Dzaja"), ("Џаја", "Džaja"),
        ("Ѓорѓиев", "Gjorgjiev"), ("Ѓорѓиев", "Gorgiev"), ("Ќосе", "Kjose"), ("Ќосе", "Kose"), ("Ѕвезда", "Dzvezda"),
        ("Николовски", "Nikolovski"), ("Стојановска", "Stojanovska"), ("Hoxha", "HOXHA"), ("Çela", "Cela"),
        ("Dërguti", "Derguti"), ("Kështjella", "Keshtjella"), ("Mëhilli", "Mehilli"), ("Gjergj", "Gjergj"),
        ("Müller", "Muller"), ("Ђурић", "Djuric"), ("Ђурић", "Duric"),
    ]
    /// Names that must not find each other.
    static let differentPeople: [(String, String)] = [
        ("Petrović", "Petrovski"), ("Jovanović", "Ivanovic"), ("Hoxha", "Hodza"), ("Nikolovski", "Nikolic"), ("Çela", "Cena"),
        ("Ђурић", "Jurić"),
    ]

    static func replica() throws -> Replica {
        let key = BatchSigningKey()
        let roster = Roster(network: "net", signingKeys: ["a": key.publicKey], groups: ["g": ["a"]])
        return try Replica.inMemory(configuration: ReplicaConfiguration(nodeID: "a", signingKey: key, roster: roster))
    }

    @Test func spellingsOfOneNameFindEachOtherBothWays() throws {
        #expect(Self.samePerson.count >= 30)
        for (left, right) in Self.samePerson {
            for (stored, searched) in [(left, right), (right, left)] {
                let replica = try Self.replica()
                let id = try replica.create(.person, in: "g", [FieldWrite("category", "suspect"), FieldWrite("family_name", stored)])
                let hits = try replica.search(searched)
                #expect(hits.map(\.id) == [id.description], "searching \(searched) must find \(stored)")
            }
        }
    }

    @Test func differentNamesDoNotMatch() throws {
        for (left, right) in Self.differentPeople {
            for (stored, searched) in [(left, right), (right, left)] {
                let replica = try Self.replica()
                _ = try replica.create(.person, in: "g", [FieldWrite("category", "suspect"), FieldWrite("family_name", stored)])
                #expect(try replica.search(searched).isEmpty, "\(searched) must not find \(stored)")
            }
        }
    }

    @Test func prefixesMatchAndCloserMatchesRankFirst() throws {
        let replica = try Self.replica()
        let marko = try replica.create(
            .person, in: "g", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Марковић"), FieldWrite("given_name", "Марко")])
        let other = try replica.create(
            .person, in: "g", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Markovski"), FieldWrite("given_name", "Ana")])
        #expect(Set(try replica.search("mark").map(\.id)) == [marko.description, other.description])
        #expect(try replica.search("Marko Markovic").map(\.id) == [marko.description], "every word must match")
        #expect(try replica.search("marko").first?.id == marko.description, "the record matching twice ranks first")
    }

    @Test func platesAndNumbersMatchIgnoringSpacesAndDashes() throws {
        let replica = try Self.replica()
        let car = try replica.create(.vehicle, in: "g", [FieldWrite("plate", "SK 123-AB"), FieldWrite("vin", "WVW-ZZZ 1JZ 3W386752")])
        let passport = try replica.create(
            .document, in: "g", [FieldWrite("doc_type", "passport"), FieldWrite("number", "P-0123 456"), FieldWrite("status", "stolen")])
        for query in ["SK123AB", "sk 123 ab", "SK-123-AB", "sk123", "WVWZZZ1JZ3W386752"] {
            #expect(try replica.search(query).map(\.id) == [car.description], "\(query)")
        }
        #expect(try replica.search("P0123456", kind: .document).map(\.id) == [passport.description])
        #expect(try replica.search("P0123456", kind: .vehicle).isEmpty, "--kind filters")
        #expect(try replica.search("  --  ").isEmpty)
    }

    @Test func anErasedRecordIsNotFound() throws {
        let replica = try Self.replica()
        let id = try replica.create(.person, in: "g", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Ђорђевић")])
        try replica.erase(id, reason: "court_order")
        #expect(try replica.search("Dordevic").isEmpty)
    }
}
