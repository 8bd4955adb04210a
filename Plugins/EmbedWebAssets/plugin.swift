import Foundation
import PackagePlugin

/// Compiles the browser files in the package's `web/` directory into the target (RelayServer)
/// as one generated Swift source, so the relayd binary serves them by itself: the container
/// image holds nothing but the binary, and a deploy can never pair a server with another
/// version's client.
///
/// Only top-level files whose extension a browser needs are taken (`web/test/`, `package.json`
/// and editor or dot files stay out). They are the command's inputs, so editing one rebuilds.
/// The list itself is read when SwiftPM plans the build, and SwiftPM re-plans only when the
/// manifest or a target's directory changes, not `web/`: after adding a file to web/ (or
/// removing one, which otherwise fails with "missing inputs"), touch Package.swift.
@main
struct EmbedWebAssets: BuildToolPlugin {
    /// What `WebAsset` knows how to label (`Content-Type`); `.ts` is the `.d.ts` typings.
    static let extensions: Set<String> = ["html", "css", "js", "ts", "svg", "ico"]

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let web = context.package.directoryURL.appending(path: "web", directoryHint: .isDirectory)
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedWebFiles.swift")
        let files = Self.webFiles(in: web)
        let tool = try context.tool(named: "embed-web-assets")
        return [
            .buildCommand(
                displayName: "Embedding \(files.count) web files into \(target.name)",
                executable: tool.url,
                arguments: [output.path] + files.map(\.path),
                inputFiles: files,
                outputFiles: [output]
            ),
        ]
    }

    /// The files to embed, sorted so the generated source does not change with directory
    /// order. A missing `web/` gives none: the server then serves no client, and says so.
    static func webFiles(in directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.sorted().compactMap { name in
            guard !name.hasPrefix("."), isURLSafe(name),
                  let dot = name.lastIndex(of: "."), extensions.contains(String(name[name.index(after: dot)...]))
            else { return nil }
            let url = directory.appending(path: name, directoryHint: .notDirectory)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                return nil
            }
            return url
        }
    }

    /// Names become URL paths (`/demo.js`): letters, digits, `.`, `-` and `_` only, so no name
    /// needs escaping in a URL or in the generated Swift.
    static func isURLSafe(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar))
        }
    }
}
