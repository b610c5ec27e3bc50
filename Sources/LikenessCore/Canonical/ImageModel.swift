/// The models Likeness serves, by their MiniMax names.
public enum ImageModel: String, Sendable, Hashable, CaseIterable, Codable {
    case image01 = "image-01"
    /// Stylised variant: takes `style`, has no 21:9 and no custom width/height.
    case image01Live = "image-01-live"
}

extension ImageModel {
    /// The aspect ratios it renders.
    public var aspectRatios: [AspectRatio] { AspectRatio.allCases.filter { $0.isSupported(by: self) } }

    /// Whether it takes a custom width and height (`PixelSize.customSideRange`).
    public var takesCustomSize: Bool { self == .image01 }

    /// The styles it takes (`style.style_type`).
    public var styles: [LiveStyleType] { self == .image01Live ? LiveStyleType.allCases : [] }
}

/// The eight MiniMax aspect ratios and the exact pixel sizes MiniMax renders them at.
public enum AspectRatio: String, Sendable, Hashable, CaseIterable, Codable {
    case square = "1:1"
    case wide16x9 = "16:9"
    case landscape4x3 = "4:3"
    case landscape3x2 = "3:2"
    case portrait2x3 = "2:3"
    case portrait3x4 = "3:4"
    case tall9x16 = "9:16"
    case ultraWide21x9 = "21:9"

    public var pixelSize: PixelSize {
        switch self {
        case .square: PixelSize(width: 1024, height: 1024)
        case .wide16x9: PixelSize(width: 1280, height: 720)
        case .landscape4x3: PixelSize(width: 1152, height: 864)
        case .landscape3x2: PixelSize(width: 1248, height: 832)
        case .portrait2x3: PixelSize(width: 832, height: 1248)
        case .portrait3x4: PixelSize(width: 864, height: 1152)
        case .tall9x16: PixelSize(width: 720, height: 1280)
        case .ultraWide21x9: PixelSize(width: 1344, height: 576)
        }
    }

    public func isSupported(by model: ImageModel) -> Bool {
        !(model == .image01Live && self == .ultraWide21x9)
    }
}

public struct PixelSize: Sendable, Hashable, Codable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// Custom sizes MiniMax accepts: each side 512...2048 and a multiple of 8.
    public static let customSideRange = 512...2048
    public static let customSideMultiple = 8

    public var description: String { "\(width)x\(height)" }
}

/// `image-01-live` styles. The wire values are MiniMax's Chinese names.
public enum LiveStyleType: String, Sendable, Hashable, CaseIterable, Codable {
    case comic = "漫画"
    case energetic = "元气"
    case medieval = "中世纪"
    case watercolor = "水彩"
}

public struct LiveStyle: Sendable, Hashable, Codable {
    public var type: LiveStyleType
    /// In (0, 1].
    public var weight: Double

    public static let defaultWeight = 0.8

    public init(type: LiveStyleType, weight: Double = LiveStyle.defaultWeight) {
        self.type = type
        self.weight = weight
    }
}

public enum ResponseFormat: String, Sendable, Hashable, CaseIterable, Codable {
    case url
    case base64
}
