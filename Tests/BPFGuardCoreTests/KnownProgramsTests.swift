import Testing
@testable import BPFGuardCore

/// The known-programs state file: what it says, and that a damaged or foreign file is
/// refused whole (the plugin then reports it and takes the programs loaded as they are).
@Suite struct KnownProgramsTests {
    static let bootID = "e0964ea9-c640-4989-bd64-565f4e1015e0"

    static let sample = KnownPrograms(bootID: bootID, written: 4_288_289_876_642, programs: [
        .init(programID: 16588, loadTime: 4_273_662_479_822),
        .init(programID: 16589, loadTime: nil),
    ])

    static func parse(_ text: String) -> Result<KnownPrograms, KnownPrograms.Problem> {
        KnownPrograms.parse(Array(text.utf8))
    }

    static func problem(_ text: String) -> String? {
        if case .failure(let problem) = parse(text) { return problem.description }
        return nil
    }

    @Test func textAndBack() throws {
        let (text, omitted) = Self.sample.text()
        #expect(omitted == 0)
        #expect(text == """
        audisp-bpfguard known programs 1
        boot_id = e0964ea9-c640-4989-bd64-565f4e1015e0
        written = 4288289876642
        programs = 2
        16588 4273662479822
        16589 -
        end

        """)
        #expect(try Self.parse(text).get() == Self.sample)
        let empty = KnownPrograms(bootID: Self.bootID, written: 0, programs: [])
        #expect(try Self.parse(empty.text().text).get() == empty)
    }

    @Test func foreignAndDamagedFilesAreRefusedWhole() {
        let good = Self.sample.text().text
        #expect(Self.problem("") == "line 1: not a state file of audisp-bpfguard (expected 'audisp-bpfguard known programs 1')")
        #expect(Self.problem("audisp-bpfguard known programs 2\n") != nil, "another format version")
        #expect(Self.problem(good.replacing("boot_id = e0964ea9", with: "boot_id = E0964EA9")) == "line 2: expected 'boot_id = UUID'")
        #expect(Self.problem(good.replacing("written = 4288289876642", with: "written = -1")) == "line 3: expected 'written = NUMBER'")
        #expect(Self.problem(good.replacing("programs = 2", with: "programs = 3")) != nil, "more programs announced than listed")
        #expect(Self.problem(good.replacing("programs = 2", with: "programs = 99999999")) != nil, "beyond the bound")
        #expect(Self.problem(String(good.dropLast(4))) == "line 6: expected 2 programs and then 'end' (the file is cut short or has extra lines)",
                "cut short: no 'end'")
        #expect(Self.problem(good + "17000 5\n") != nil, "a line after 'end'")
        #expect(Self.problem(good.replacing("16589 -", with: "16589 x")) == "line 6: expected a load time in nanoseconds or '-'")
        #expect(Self.problem(good.replacing("16589 -", with: "0 5")) == "line 6: expected 'PROG-ID LOAD-TIME'", "prog-id 0 is no program")
        #expect(Self.problem(good.replacing("16589 -", with: "16589  5")) != nil, "one blank between the two")
        #expect(Self.problem(good.replacing("16589 -", with: "4294967296 5")) != nil, "a prog-id beyond 32 bits")
        let huge = [UInt8](repeating: 0x41, count: KnownPrograms.maximumBytes + 1)
        if case .failure(let problem) = KnownPrograms.parse(huge) {
            #expect(problem.message.hasPrefix("larger than"))
        } else {
            Issue.record("an oversized file was read")
        }
    }

    @Test func theFileIsBounded() {
        let many = KnownPrograms(bootID: Self.bootID, written: 1,
                                 programs: (1...(KnownPrograms.maximumPrograms + 3)).map { .init(programID: UInt32($0), loadTime: UInt64.max) })
        let (text, omitted) = many.text()
        #expect(omitted == 3)
        #expect(text.utf8.count <= KnownPrograms.maximumBytes, "the longest lines fit the bound the reader accepts")
        #expect((try? KnownPrograms.parse(Array(text.utf8)).get())?.programs.count == KnownPrograms.maximumPrograms)
    }

    @Test func bootIDs() {
        #expect(KnownPrograms.isBootID(Self.bootID))
        #expect(!KnownPrograms.isBootID(""))
        #expect(!KnownPrograms.isBootID(Self.bootID + "0"))
        #expect(!KnownPrograms.isBootID(Self.bootID.replacing("-", with: "0")))
        #expect(!KnownPrograms.isBootID("g0964ea9-c640-4989-bd64-565f4e1015e0"))
    }
}
