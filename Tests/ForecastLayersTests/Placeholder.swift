import XCTest
final class PlaceholderLayersTests: XCTestCase { func testNothing() {} }
