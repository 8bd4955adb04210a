/// The version reported by `/health`, `--version` and the start-up log line.
public enum RelaydVersion {
    public static let string = "0.1.0"
}
