extension Duration {
    /// The duration in seconds, as configuration, logs and wait estimates state it.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
