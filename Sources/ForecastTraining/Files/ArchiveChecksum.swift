/// The checksums a model file carries in its `__metadata__`:
///
///     "sha256"       hex SHA-256 of the tensor bytes, in file order (every release writes it)
///     "sha256_file"  hex SHA-256 of the metadata and the tensor bytes (written since 0.2):
///                    the metadata entries other than "sha256_file", sorted by key, each as
///                    <JSON string of the key> ":" <JSON string of the value> "\n", then the
///                    tensor bytes in file order
///
/// A file with "sha256_file" must match it: an edited config, provenance or name is caught as
/// well as a damaged tensor. A file without it (written by 0.1) is still read, after its
/// tensor checksum matches, and its metadata is marked unverified (``ModelArchive/legacyChecksum``).
/// The checksums catch accidents and hand edits, not tampering (anyone can recompute them):
/// every value is range-checked on load regardless.
public enum ArchiveChecksum {
    public static let tensorKey = "sha256"
    public static let fileKey = "sha256_file"

    /// Digest of the tensor bytes.
    public static func tensors(_ tensors: [(name: String, tensor: Tensor)]) -> String {
        var sha = SHA256()
        for (_, t) in tensors { t.scalars.withUnsafeBytes { sha.update($0) } }
        return sha.finalizeHex()
    }

    /// Digest of the metadata (without ``fileKey``) and the tensor bytes.
    public static func file(metadata: [String: String], tensors: [(name: String, tensor: Tensor)]) -> String {
        var sha = SHA256()
        for (k, v) in metadata.sorted(by: { $0.key < $1.key }) where k != fileKey {
            sha.update(Array("\(jsonString(k)):\(jsonString(v))\n".utf8))
        }
        for (_, t) in tensors { t.scalars.withUnsafeBytes { sha.update($0) } }
        return sha.finalizeHex()
    }
}
