/// A setting that cannot be used, named as the operator sets it.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var description: String

    package init(_ description: String) {
        self.description = description
    }
}
