import Foundation
import Records
import Replica
import SyncCore
import TestSupport
import Testing

/// Possible matches at save, possible duplicates after sync, and clusters of the same subject.
@Suite(.ownThread) struct DuplicateFinderTests {
    static let ana = AuditActor(user: "ana", purpose: "case 17/2026")

    static let surnames = [
        "Petrović", "Đorđević", "Jovanović", "Nikolić", "Marković", "Stojanović", "Živković", "Lukić", "Ilić", "Đukić", "Šarić", "Čolić",
        "Nikolovski", "Trajkovski", "Stojanovski", "Ristovski", "Krasniqi", "Hoxha", "Gashi", "Berisha", "Popović", "Pavlović", "Kostić",
        "Savić", "Milošević", "Tomić", "Vasić", "Radić", "Janković", "Njegoš",
    ]
    static let forenames = ["Marko", "Ana", "Nikola", "Jelena", "Stefan", "Milica", "Luka", "Ivana", "Petar", "Dragan", "Ljubica", "Đorđe"]

    /// Serbian Latin to Cyrillic, digraphs first; Albanian names as Serbian writes them
    /// (Hoxha as Хоџа, Krasniqi as Краснићи).
    static func cyrillic(_ latin: String) -> String {
        var text = latin
        for (from, to) in [("Lj", "Љ"), ("Nj", "Њ"), ("Dž", "Џ"), ("lj", "љ"), ("nj", "њ"), ("dž", "џ"), ("xh", "џ"), ("sh", "ш"), ("q", "ћ")] {
            text = text.replacingOccurrences(of: from, with: to)
        }
        let letters: [Character: String] = [
            "a": "а", "b": "б", "c": "ц", "č": "ч", "ć": "ћ", "d": "д", "đ": "ђ", "e": "е", "f": "ф", "g": "г", "h": "х", "i": "и", "j": "ј",
            "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "r": "р", "s": "с", "š": "ш", "t": "т", "u": "у", "v": "в", "z": "з",
            "ž": "ж",
        ]
        return text.map { char -> String in
            let lower = Character(char.lowercased())
            guard let mapped = letters[lower] else { return String(char) }
            return char == lower ? mapped : mapped.uppercased()
        }.joined()
    }

    /// The ASCII spelling a keyboard without the letters gives: đ as dj, the rest without marks.
    static func ascii(_ latin: String) -> String {
        var text = latin.replacingOccurrences(of: "đ", with: "dj").replacingOccurrences(of: "Đ", with: "Dj")
        text = text.applyingTransform(.stripDiacritics, reverse: false) ?? text
        return text
    }

    static func jmbg(_ index: Int) -> String {
        let base = String(format: "%02d%02d%03d71%03d", index % 28 + 1, index % 12 + 1, 950 + index % 50, index % 1000)
        let digits = base.map { Int(String($0))! }
        let weights = [7, 6, 5, 4, 3, 2]
        var sum = 0
        for index in 0..<6 { sum += weights[index] * (digits[index] + digits[index + 6]) }
        let m = 11 - sum % 11
        return base + String(m > 9 ? 0 : m)
    }

    /// 360 persons, 120 of them recorded twice by another centre, in another script, with the
    /// identification number spaced, or with only the year of birth known; and 60 namesakes
    /// born on other days, which are no match. Precision and recall of the checks at save are
    /// printed; every duplicate sharing an identification number is found.
    @Test func theFinderFindsSeededDuplicatesAcrossScripts() throws {
        let region = try TestRegion(nodes: ["mk", "rs"])
        var rng = SplitMix64(seed: 2026)
        var originals: [(id: RecordID, surname: String, forename: String, born: String)] = []
        try region["mk"].transact(in: "region") { transaction in
            for index in 0..<360 {
                let surname = Self.surnames[index % Self.surnames.count]
                let forename = Self.forenames[(index / Self.surnames.count) % Self.forenames.count]
                let born = String(format: "19%02d-%02d-%02d", 50 + index % 50, index % 12 + 1, index % 28 + 1)
                let id = transaction.create(
                    .person,
                    [
                        FieldWrite("category", "suspect"), FieldWrite("family_name", surname), FieldWrite("given_name", forename),
                        FieldWrite("birth_date", born),
                    ],
                    sets: index % 3 == 0 ? [SetEdit("national_ids", add: ["RS:" + Self.jmbg(index)])] : [])
                originals.append((id, surname, forename, born))
            }
        }
        try region.syncAll()
        var expected: [RecordID: RecordID] = [:]
        var byIdentifier: Set<RecordID> = []
        var namesakes: [RecordID] = []
        for index in 0..<120 {
            let original = originals[index * 3 + Int.random(in: 0..<3, using: &rng)]
            let spelling = [Self.cyrillic, Self.ascii, { $0 }][index % 3]
            var fields = [
                FieldWrite("category", "suspect"), FieldWrite("family_name", spelling(original.surname)), FieldWrite("given_name", spelling(original.forename)),
            ]
            var sets: [SetEdit] = []
            if index % 4 == 0 {
                sets.append(SetEdit("birth_dates", add: [String(original.born.prefix(4))]))
            } else {
                fields.append(FieldWrite("birth_date", original.born))
            }
            let originalIndex = originals.firstIndex { $0.id == original.id }!
            if originalIndex % 3 == 0, index % 2 == 0 {
                let number = Self.jmbg(originalIndex)
                sets.append(SetEdit("national_ids", add: ["RS:" + number.prefix(6) + " " + number.dropFirst(6)]))
                byIdentifier.insert(original.id)
            }
            let copy = try region["rs"].create(.person, in: "region", fields, sets: sets)
            expected[copy] = original.id
        }
        for index in 0..<60 {
            let original = originals[index * 6]
            namesakes.append(
                try region["rs"].create(
                    .person, in: "region",
                    [
                        FieldWrite("category", "suspect"), FieldWrite("family_name", original.surname), FieldWrite("given_name", original.forename),
                        FieldWrite("birth_date", "2001-01-01"),
                    ]))
        }
        var found = 0
        var shown = 0
        var correct = 0
        var identifierFound = 0
        for (copy, original) in expected {
            let matches = try region["rs"].checkDuplicates(of: copy, savedBy: Self.ana).filter { !expected.keys.contains($0.id) && !namesakes.contains($0.id) }
            shown += matches.count
            correct += matches.filter { $0.id == original }.count
            if matches.contains(where: { $0.id == original }) {
                found += 1
            } else {
                print("missed: \(try region["rs"].live(copy)!.values) for \(try region["rs"].live(original)!.values)")
            }
            if byIdentifier.contains(original), matches.first?.id == original, matches.first?.strength == .identifier { identifierFound += 1 }
        }
        var falseForNamesakes = 0
        for namesake in namesakes {
            falseForNamesakes += try region["rs"].checkDuplicates(of: namesake, savedBy: Self.ana)
                .filter { !expected.keys.contains($0.id) && !namesakes.contains($0.id) }.count
        }
        let precision = Double(correct) / Double(shown + falseForNamesakes)
        let recall = Double(found) / Double(expected.count)
        print(
            String(
                format:
                    "duplicate finder: %d seeded duplicates (%d by identification number), %d namesakes: precision %.3f, recall %.3f, identifier duplicates found first %d/%d",
                expected.count, byIdentifier.count, namesakes.count, precision, recall, identifierFound, byIdentifier.count))
        #expect(identifierFound == byIdentifier.count && !byIdentifier.isEmpty, "every duplicate sharing an identification number is found first")
        // The folding meets Serbian and Macedonian Cyrillic with Latin and ASCII, not yet
        // Albanian spellings with Cyrillic ones (Hoxha and Хоџа): those few are missed.
        #expect(recall >= 0.95, "the seeded duplicates are found: \(found) of \(expected.count)")
        #expect(falseForNamesakes == 0, "a namesake born on another day is no match")
    }

    @Test func twoCentresCutOffRecordOneSubjectAndAThirdSearchesItAsOneCluster() throws {
        let region = try TestRegion(nodes: ["a", "b", "c"])
        // Cut off from each other, a and b record the same wanted person.
        let atA = try region["a"].create(
            .person, in: "region",
            [FieldWrite("category", "suspect"), FieldWrite("family_name", "Krasniqi"), FieldWrite("given_name", "Arben"), FieldWrite("alert", "wanted")],
            sets: [SetEdit("national_ids", add: ["RS:1503985450019"])])
        let atB = try region["b"].create(
            .person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Красниqи"), FieldWrite("given_name", "Арбен")],
            sets: [SetEdit("national_ids", add: ["RS:150398-5450019"])])
        #expect(try region["a"].possibleDuplicates(auditedAs: Self.ana).isEmpty, "a holds no other record yet")
        try region.syncAll()
        for owner in ["a", "b"] as [NodeID] {
            let pairs = try region[owner].possibleDuplicates(auditedAs: Self.ana)
            #expect(pairs.count == 1 && Set([pairs[0].first.id, pairs[0].second.id]) == [atA, atB] && pairs[0].key == "nid:JMBG:1503985450019", "at \(owner)")
        }
        #expect(try region["c"].possibleDuplicates(auditedAs: Self.ana).isEmpty, "c owns neither")
        #expect(try region["c"].search("Krasniqi").count == 2)
        // b's officer marks them the same subject; each record keeps its owner.
        _ = try region["b"].create(
            .link, in: "region", [FieldWrite("from_id", atB.description), FieldWrite("to_id", atA.description), FieldWrite("role", "same_as")])
        try region.syncAll()
        for owner in ["a", "b"] as [NodeID] { #expect(try region[owner].possibleDuplicates(auditedAs: Self.ana).isEmpty, "decided at \(owner)") }
        let hits = try region["c"].search("Krasniqi")
        #expect(hits.count == 1 && Set([hits[0].id] + hits[0].sameAs) == [atA.description, atB.description], "one cluster at c: \(hits)")
        #expect(try region["c"].live(atA)?.origin == "a" && region["c"].live(atB)?.origin == "b")
        var persons = RecordFilter()
        persons.kinds = [.person]
        let listed = try region["c"].list(persons)
        #expect(listed.count == 1 && Set([listed[0].id] + listed[0].sameAs) == [atA.description, atB.description], "one cluster listed: \(listed)")
        #expect(try region.digests().count == 1)
    }

    @Test func aRequestsArrivalChecksItsSubjectsAgainstWhatTheRequestedCentreHolds() throws {
        let region = try TestRegion(nodes: ["a", "b"], groups: ["region": ["a", "b"], "b-only": ["b"]])
        let subject = try region["a"].create(
            .person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Shehu")],
            sets: [SetEdit("national_ids", add: ["MK:1503985450019"])])
        let held = try region["b"].create(
            .person, in: "b-only", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Шеху")],
            sets: [SetEdit("national_ids", add: ["RS:150398 5450019"])])
        let request = try region["a"].sendRequest(
            to: "b", form: .filled("Known to you?", subjects: [subject.description]), auditedAs: AuditActor(user: "officer"))
        try region["b"].pullChecked(from: region["a"])
        #expect(try region["b"].acknowledgeReceivedRequests() == 1)
        let logged = try #require(try region["b"].auditEntries(user: "system").last).event
        #expect(logged.action == "duplicate_check" && logged.recordIDs == [request.description, subject.description, held.description])
        #expect(logged.detail == "at the arrival of request \(request): 1 subjects with possible matches")
        let (_, _, matches) = try region["b"].consultRequest(request, auditedAs: Self.ana)
        #expect(matches.map(\.subject) == [subject.description] && matches.first?.matches.map(\.id) == [held])
        #expect(matches.first?.matches.first?.strength == .identifier)
        // The requesting centre holds nothing else of the subject.
        #expect(try region["a"].consultRequest(request, auditedAs: Self.ana).subjectMatches.isEmpty)
    }

    @Test func aNotSameDecisionTakesThePairOffAndTheCheckAtSaveIsLoggedAsTheSystems() throws {
        let region = try TestRegion(nodes: ["a", "b"])
        let mine = try region["a"].create(.vehicle, in: "region", [FieldWrite("plate", "SK 123-AB")])
        let theirs = try region["b"].create(.vehicle, in: "region", [FieldWrite("plate", "sk123ab")])
        try region.syncAll()
        let matches = try region["a"].checkDuplicates(of: mine, savedBy: Self.ana)
        #expect(matches.map(\.id) == [theirs] && matches.first?.strength == .identifier && matches.first?.reason == "plate SK123AB")
        let logged = try #require(try region["a"].auditEntries(user: "system").last).event
        #expect(logged.user == "system" && logged.action == "duplicate_check" && logged.recordIDs == [mine.description, theirs.description])
        #expect(logged.detail == "at the save of \(mine) by ana: 1 possible matches")
        #expect(try region["a"].possibleDuplicates(auditedAs: Self.ana).count == 1)
        _ = try region["a"].create(
            .link, in: "region", [FieldWrite("from_id", mine.description), FieldWrite("to_id", theirs.description), FieldWrite("role", "not_same")])
        #expect(try region["a"].possibleDuplicates(auditedAs: Self.ana).isEmpty)
        #expect(throws: ReplicaError(.invalid, "a same_as link joins two records of one kind, not a vehicle and a person", field: "to_id")) {
            let person = try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Owner")])
            _ = try region["a"].create(
                .link, in: "region", [FieldWrite("from_id", mine.description), FieldWrite("to_id", person.description), FieldWrite("role", "same_as")])
        }
    }
}
