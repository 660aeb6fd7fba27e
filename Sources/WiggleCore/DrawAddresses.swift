// DrawAddresses.swift — where a draw is in the program, as a number: the
// path of call, loop, loop-iteration and branch frames the tracer is in,
// plus the draw's ordinal among the draws of its innermost frame. A draw's
// random numbers are keyed by its address and its particle (Random.swift),
// so deterministic code, rewrites, sharing and caching never move them, and
// adding a draw moves only the draws after it in its frame.
//
// A call, a loop or an if takes its place among its parent's children only
// when a draw first happens inside it: a call that draws nothing, or an if
// on a known condition, changes no address. An iteration's place is its
// number (a loop traced once, later, keeps its draws).

/// The addresses of the draws being traced.
public struct DrawAddresses: Sendable {
    /// What a frame is.
    public enum Kind: UInt64, Sendable {
        /// The session's top level.
        case root = 0
        /// A call of a user function.
        case call = 1
        /// A loop (its iterations are frames inside it).
        case loop = 2
        /// One iteration of a loop, by its number.
        case iteration = 3
        /// An if traced both ways (its branches are frames inside it).
        case tracedIf = 4
        /// One side of such an if: 0 then, 1 else.
        case branch = 5
    }

    struct Frame: Sendable {
        var kind: Kind
        /// Its place among its parent's children: fixed (an iteration's
        /// number, a branch's side) or given at its first draw.
        var index: UInt64?
        /// Draws made in it so far.
        var draws: UInt64 = 0
        /// Children that drew, so far.
        var children: UInt64 = 0
        /// The hash of the path down to it, once its place is known.
        var path: UInt64 = 0
    }

    var frames: [Frame] = [Frame(kind: .root, index: 0, path: 0x5769_6767_6C65)]

    /// While a loop of random length is traced: the depth of its loop
    /// frame. Every draw inside one of its iterations is then noted in
    /// ``relative`` by where it is in its iteration.
    public var recordingLoop: Int?
    /// For draws made inside an iteration of the loop being recorded, by
    /// stream: the iteration's number, the frames below it and the ordinal.
    public private(set) var relative: [UInt64: RelativeAddress] = [:]

    /// An empty path: the top level.
    public init() {}

    /// How many frames are open (the top level counts one).
    public var depth: Int { frames.count }

    /// Opens a frame: `index` for an iteration's number or a branch's side;
    /// nil for a call, a loop or an if, placed at their first draw.
    public mutating func enter(_ kind: Kind, index: UInt64? = nil) {
        frames.append(Frame(kind: kind, index: index))
        if index != nil { placeLast() }
    }

    /// Closes the innermost frame.
    public mutating func leave() {
        if frames.count > 1 { frames.removeLast() }
    }

    /// Closes frames down to `depth` (after an error unwound past them).
    public mutating func truncate(to depth: Int) {
        if frames.count > Swift.max(1, depth) { frames.removeLast(frames.count - Swift.max(1, depth)) }
    }

    /// The address of the next draw: every frame without a place takes the
    /// next one among its parent's children, then the innermost counts the draw.
    public mutating func next() -> UInt64 {
        for position in 1..<frames.count where frames[position].index == nil || frames[position].path == 0 {
            if frames[position].index == nil {
                frames[position].index = frames[position - 1].children
                frames[position - 1].children += 1
            }
            frames[position].path = DrawAddresses.mix(frames[position - 1].path, frames[position].kind, frames[position].index ?? 0)
        }
        let last = frames.count - 1
        let ordinal = frames[last].draws
        frames[last].draws += 1
        let stream = DrawAddresses.stream(path: frames[last].path, ordinal: ordinal)
        if let depth = recordingLoop, depth + 1 < frames.count, frames[depth + 1].kind == .iteration {
            relative[stream] = RelativeAddress(iteration: frames[depth + 1].index ?? 0,
                                               chain: frames[(depth + 2)...].map { RelativeAddress.Step(kind: $0.kind, index: $0.index ?? 0) },
                                               ordinal: ordinal)
        }
        return stream
    }

    /// Stops noting draws' places (the loop that asked for them ended).
    public mutating func stopRecording() {
        recordingLoop = nil
        relative = [:]
    }

    /// The path of the frame at `depth` (0 until it is placed).
    public func path(at depth: Int) -> UInt64 {
        depth < frames.count ? frames[depth].path : 0
    }

    /// The stream of the draw at `address`, in iteration `iteration` of the
    /// loop whose frame's path is `loopPath`: what the tracer would give
    /// it, had it traced that iteration.
    public static func stream(loopPath: UInt64, iteration: UInt64, _ address: RelativeAddress) -> UInt64 {
        var path = mix(loopPath, .iteration, iteration)
        for step in address.chain { path = mix(path, step.kind, step.index) }
        let drawn = stream(path: path, ordinal: address.ordinal)
        return address.world.map { derived(drawn, world: $0) } ?? drawn
    }

    static func stream(path: UInt64, ordinal: UInt64) -> UInt64 {
        splitMix64(path ^ splitMix64(ordinal &+ 0xD1B5_4A32_D192_ED03))
    }

    /// A fixed-place frame's path, computed at once when its parent's is known.
    mutating func placeLast() {
        let last = frames.count - 1
        guard last > 0, frames[last - 1].path != 0 || frames[last - 1].kind == .root, let index = frames[last].index else { return }
        frames[last].path = DrawAddresses.mix(frames[last - 1].path, frames[last].kind, index)
    }

    /// A sub-address of a draw's: the key of a copy of it that an
    /// estimator's program makes (world `world` of an exact derivative),
    /// whose numbers are its own, not the draw's.
    public static func derived(_ stream: UInt64, world: UInt64) -> UInt64 {
        splitMix64(stream ^ splitMix64(world &+ 0x9E37_79B9_7F4A_7C15))
    }

    static func mix(_ parent: UInt64, _ kind: Kind, _ index: UInt64) -> UInt64 {
        let path = splitMix64(parent ^ splitMix64((kind.rawValue << 56) ^ index))
        return path == 0 ? 1 : path
    }
}

/// Where a draw is inside an iteration of a loop: the iteration's number,
/// the frames between it and the draw (calls, ifs, inner loops) and its
/// ordinal in the innermost one.
public struct RelativeAddress: Hashable, Sendable {
    /// One frame below the iteration: its kind and its place.
    public struct Step: Hashable, Sendable {
        public var kind: DrawAddresses.Kind
        public var index: UInt64
    }
    /// The iteration's number (counting every iteration of the loop).
    public var iteration: UInt64
    public var chain: [Step]
    public var ordinal: UInt64
    /// For a copy an estimator's program made of the draw with numbers of
    /// its own: its sub-address (``DrawAddresses/derived(_:world:)``).
    public var world: UInt64? = nil

    /// The same place, for the copy of the draw with sub-address `world`.
    public func derived(world: UInt64) -> RelativeAddress {
        var copy = self
        copy.world = world
        return copy
    }
}
