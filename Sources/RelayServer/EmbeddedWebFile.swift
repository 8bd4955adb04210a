/// One top-level file of the package's `web/` directory, compiled into the binary at build
/// time by the EmbedWebAssets plugin (the generated source declares `EmbeddedWebFile.all`).
/// Embedding rather than reading a directory at run time is what lets the container image
/// hold the binary alone, and keeps the client served always the one built with the server.
struct EmbeddedWebFile: Sendable {
    /// The base name, which is also its URL path (`demo.js` → `/demo.js`).
    let name: String
    let bytes: [UInt8]

    /// Text files arrive as raw string literals (readable, quick to compile).
    init(name: String, text: String) {
        self.name = name
        bytes = Array(text.utf8)
    }

    /// Anything a text literal cannot carry exactly (an icon, say) arrives as one scalar per
    /// byte, U+0000 to U+00FF: a string compiles much faster than an array literal.
    init(name: String, latin1: String) {
        self.name = name
        bytes = latin1.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
    }
}
