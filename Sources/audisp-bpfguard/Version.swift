/// The project's version: the one place it is written (packaging scripts read it from here).
let bpfguardVersion = "0.1.0"
