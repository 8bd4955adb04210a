/// The providers this relayd can use, by name. Clients choose by name only: they can never
/// make relayd call a URL of their choosing.
public struct ProviderRegistry: Sendable {
    public private(set) var providers: [String: any Provider] = [:]
    public private(set) var order: [String] = []
    /// Used when a chat names no provider.
    public var defaultProvider: String

    public init(_ providers: [any Provider], defaultProvider: String? = nil) {
        for provider in providers where self.providers[provider.name] == nil {
            self.providers[provider.name] = provider
            order.append(provider.name)
        }
        self.defaultProvider = defaultProvider ?? order.first ?? "demo"
    }

    public func provider(named name: String?) -> (any Provider)? {
        providers[name ?? defaultProvider]
    }
}
