import CZlib

/// zlib compression with a bounded inflate: output never grows past the declared size, so a
/// compression bomb costs at most the declared (already limit-checked) allocation.
public enum Zlib {
    /// Compresses `bytes` into the zlib format at the default level.
    public static func deflate(_ bytes: [UInt8]) -> [UInt8] {
        var outputLength = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(outputLength))
        let status = bytes.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                compress2(out.baseAddress, &outputLength, input.baseAddress, uLong(input.count), Z_DEFAULT_COMPRESSION)
            }
        }
        precondition(status == Z_OK, "compress2 failed with \(status), which compressBound rules out")
        output.removeSubrange(Int(outputLength)...)
        return output
    }

    /// Inflates `compressed`, which must decode to exactly `expectedLength` bytes and end there.
    public static func inflate(_ compressed: [UInt8], expectedLength: Int) throws(InflateFailure) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: expectedLength)
        var stream = z_stream()
        guard inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw InflateFailure("zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        var probe: UInt8 = 0
        let status: Int32 = compressed.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                let first = CZlib.inflate(&stream, Z_FINISH)
                guard first != Z_STREAM_END, stream.avail_out == 0 else { return first }
                // The output is full but the stream has not ended: one more byte would be past
                // the declared length, which is all this probe needs to know.
                return withUnsafeMutablePointer(to: &probe) { probePointer in
                    stream.next_out = probePointer
                    stream.avail_out = 1
                    return CZlib.inflate(&stream, Z_FINISH)
                }
            }
        }
        let produced = Int(stream.total_out)
        if status == Z_STREAM_END {
            guard produced <= expectedLength else {
                throw InflateFailure(exceedsDeclaredLength: true, "payload inflates past its declared \(expectedLength) bytes")
            }
            guard produced == expectedLength else {
                throw InflateFailure("payload inflates to \(produced) bytes, not the declared \(expectedLength)")
            }
            guard stream.avail_in == 0 else {
                throw InflateFailure("payload has \(stream.avail_in) bytes after the end of the zlib stream")
            }
            return output
        }
        if (status == Z_OK || status == Z_BUF_ERROR) && produced > expectedLength {
            throw InflateFailure(exceedsDeclaredLength: true, "payload inflates past its declared \(expectedLength) bytes")
        }
        if status == Z_BUF_ERROR {
            throw InflateFailure("payload is a truncated zlib stream")
        }
        throw InflateFailure("payload is not valid zlib data (zlib status \(status))")
    }
}
