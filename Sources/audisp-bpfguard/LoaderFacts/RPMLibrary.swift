import Glibc

/// librpm, opened at run time: the plugin does not link it (its binary must run where rpm is
/// absent, and on other releases than the one it was built on). The sonames are those of
/// rpm 4.14–4.15 (`librpm.so.8`: RHEL 8), 4.16–4.18 (`.9`: RHEL 9, Debian 12) and 4.19 and
/// later (`.10`: RHEL 10, Debian 13). Only functions whose C signatures are the same in all
/// of them are used.
struct RPMLibrary {
    static let sonames = ["librpm.so.10", "librpm.so.9", "librpm.so.8"]

    typealias Handle = OpaquePointer

    let soname: String
    let readConfigFiles: @convention(c) (UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32
    let defineMacro: @convention(c) (OpaquePointer?, UnsafePointer<CChar>, Int32) -> Int32
    let setLogMask: @convention(c) (Int32) -> Int32
    let createTransactionSet: @convention(c) () -> Handle?
    let setRootDirectory: @convention(c) (Handle?, UnsafePointer<CChar>?) -> Int32
    let openDatabase: @convention(c) (Handle?, Int32) -> Int32
    let freeTransactionSet: @convention(c) (Handle?) -> Handle?
    let initIterator: @convention(c) (Handle?, Int32, UnsafeRawPointer?, Int) -> Handle?
    let nextHeader: @convention(c) (Handle?) -> Handle?
    let iteratorFileNumber: @convention(c) (Handle?) -> UInt32
    let freeIterator: @convention(c) (Handle?) -> Handle?
    let formatHeader: @convention(c) (Handle?, UnsafePointer<CChar>, UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> UnsafeMutablePointer<CChar>?

    /// `RPMDBI_INSTFILENAMES` (= `RPMTAG_INSTFILENAMES`): the index of installed file paths.
    static let installedFileNamesIndex: Int32 = 5040
    /// `RMIL_CMDLINE`: a macro defined as if on rpm's command line.
    static let commandLineMacroLevel: Int32 = -7
    /// `RPMLOG_UPTO(RPMLOG_ERR)`: only errors and worse are logged (to standard error).
    static let errorsOnlyLogMask: Int32 = (1 << 4) - 1

    /// The first librpm found, with every function resolved; nil otherwise.
    static func open() -> RPMLibrary? {
        for soname in sonames {
            guard let handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL) else { continue }
            if let library = RPMLibrary(soname: soname, handle: handle) { return library }
            dlclose(handle)
        }
        return nil
    }

    private init?(soname: String, handle: UnsafeMutableRawPointer) {
        func symbol<T>(_ name: String, _: T.Type) -> T? {
            dlsym(handle, name).map { unsafeBitCast($0, to: T.self) }
        }
        guard let readConfigFiles = symbol("rpmReadConfigFiles", (@convention(c) (UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32).self),
              let defineMacro = symbol("rpmDefineMacro", (@convention(c) (OpaquePointer?, UnsafePointer<CChar>, Int32) -> Int32).self),
              let setLogMask = symbol("rpmlogSetMask", (@convention(c) (Int32) -> Int32).self),
              let createTransactionSet = symbol("rpmtsCreate", (@convention(c) () -> Handle?).self),
              let setRootDirectory = symbol("rpmtsSetRootDir", (@convention(c) (Handle?, UnsafePointer<CChar>?) -> Int32).self),
              let openDatabase = symbol("rpmtsOpenDB", (@convention(c) (Handle?, Int32) -> Int32).self),
              let freeTransactionSet = symbol("rpmtsFree", (@convention(c) (Handle?) -> Handle?).self),
              let initIterator = symbol("rpmtsInitIterator", (@convention(c) (Handle?, Int32, UnsafeRawPointer?, Int) -> Handle?).self),
              let nextHeader = symbol("rpmdbNextIterator", (@convention(c) (Handle?) -> Handle?).self),
              let iteratorFileNumber = symbol("rpmdbGetIteratorFileNum", (@convention(c) (Handle?) -> UInt32).self),
              let freeIterator = symbol("rpmdbFreeIterator", (@convention(c) (Handle?) -> Handle?).self),
              let formatHeader = symbol("headerFormat",
                                        (@convention(c) (Handle?, UnsafePointer<CChar>, UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> UnsafeMutablePointer<CChar>?).self)
        else { return nil }
        self.soname = soname
        self.readConfigFiles = readConfigFiles
        self.defineMacro = defineMacro
        self.setLogMask = setLogMask
        self.createTransactionSet = createTransactionSet
        self.setRootDirectory = setRootDirectory
        self.openDatabase = openDatabase
        self.freeTransactionSet = freeTransactionSet
        self.initIterator = initIterator
        self.nextHeader = nextHeader
        self.iteratorFileNumber = iteratorFileNumber
        self.freeIterator = freeIterator
        self.formatHeader = formatHeader
    }

    /// `headerFormat(header, format)` as bytes (the result is freed).
    func format(_ header: Handle, _ queryFormat: String) -> [UInt8]? {
        guard let text = formatHeader(header, queryFormat, nil) else { return nil }
        defer { free(text) }
        return Array(UnsafeBufferPointer(start: UnsafeRawPointer(text).assumingMemoryBound(to: UInt8.self), count: strlen(text)))
    }
}
