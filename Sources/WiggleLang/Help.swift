// Help.swift — a builtin's or a distribution's signature and a one-line
// description, for a notebook's inspect request (Shift-Tab) and the REPL.

import WiggleGraph

/// Signatures and one-line descriptions of what every program can call.
public enum Help {
    /// `(signature, description)` for a name, or nil when it is not a builtin
    /// or a distribution.
    public static func entry(for name: String) -> (signature: String, summary: String)? {
        if let entry = builtins[name] { return entry }
        if let id = DistributionRegistry.id(named: name) {
            let distribution = DistributionRegistry[id]
            let parameters = distribution.takesProbabilityList ? "probs" : distribution.parameterNames.joined(separator: ", ")
            let estimators = Estimator.allCases.filter(distribution.admits).map { "@\($0.rawValue)" }.joined(separator: " ")
            return ("\(name)(\(parameters))",
                    "a draw from the \(name) distribution, on \(distribution.support); estimators: \(estimators)")
        }
        if let id = DensityFunctions.distribution(named: name) {
            let distribution = DistributionRegistry[id]
            let x = distribution.support.isDiscrete ? "k" : "x"
            let parameters = distribution.takesProbabilityList ? "probs" : distribution.parameterNames.joined(separator: ", ")
            let what = distribution.support.isDiscrete ? "log probability of k" : "log density at x"
            return ("\(name)(\(x), \(parameters))",
                    "\(what) under \(distribution.name)(\(parameters)); a list \(x) gives the sum over its elements")
        }
        return nil
    }

    /// The builtins, by name.
    static let builtins: [String: (signature: String, summary: String)] = [
        "exp": ("exp(x)", "e to the power x"),
        "log": ("log(x)", "the natural logarithm"),
        "sqrt": ("sqrt(x)", "the square root"),
        "abs": ("abs(x)", "the absolute value (continuous: a normal through it stays pathwise)"),
        "sin": ("sin(x)", "the sine, x in radians"),
        "cos": ("cos(x)", "the cosine, x in radians"),
        "tanh": ("tanh(x)", "the hyperbolic tangent"),
        "sigmoid": ("sigmoid(x)", "1 / (1 + e^-x)"),
        "softplus": ("softplus(x)", "log(1 + e^x)"),
        "floor": ("floor(x)", "the largest whole number ≤ x (a jump: a normal through it is not pathwise)"),
        "round": ("round(x)", "the nearest whole number (a jump)"),
        "lgamma": ("lgamma(x)", "log Γ(x)"),
        "digamma": ("digamma(x)", "the derivative of lgamma"),
        "min": ("min(a, b) or min(xs)", "the smaller of two numbers, or of a list (continuous)"),
        "max": ("max(a, b) or max(xs)", "the larger of two numbers, or of a list (continuous)"),
        "sum": ("sum(xs)", "the sum of a list"),
        "mean": ("mean(xs)", "the mean of a list"),
        "std": ("std(xs, ddof = 0)", "the standard deviation of a list (ddof = 1: the sample one)"),
        "len": ("len(xs)", "the length of a list"),
        "concat": ("concat(a, b, ...)", "the lists joined end to end (`+` adds lists element by element)"),
        "value": ("value(e)", "an estimate's value, without its standard error"),
        "stderr": ("stderr(e)", "an estimate's standard error"),
        "softmax": ("softmax(xs)", "exp(xs) normalised to sum to 1"),
        "logsumexp": ("logsumexp(xs)", "log Σ exp(xs), without overflow"),
        "dot": ("dot(xs, ys)", "Σ xs[i] ys[i]"),
        "matvec": ("matvec(W, xs)", "the matrix W (a list of rows) times the vector xs"),
        "read_csv": ("read_csv(path) or read_csv(path, column = \"x\")", "a CSV file's rows, or one column as a list"),
        "print": ("print(values...)", "writes the values on one line"),
        "set": ("set(seed = S, particles = N, threads = T, loop_limit = L, sampling = \"iid\" | \"antithetic\" | \"rqmc\", replicates = R)", "changes the session's settings; set() shows them"),
        "grad": ("grad(E[e], wrt = [a, w], particles = N)", "the gradient of an expectation, each component ± its standard error, with each random node's estimator"),
        "hessian": ("hessian(E[e], wrt = [a, b], particles = N)", "the matrix of second derivatives of an expectation, each entry ± its standard error, with each random node's estimator at the first order and the second; h[\"a\"][\"b\"] is an entry"),
        "hvp": ("hvp(E[e], [v1, v2, ...], wrt = [a, b], particles = N)", "the Hessian of an expectation times the direction v (one number per parameter), at about the cost of a gradient"),
        "minimize": ("minimize(E[e], steps = 100, lr = 0.05, optimizer = \"adam\", particles = N, wrt = [...])", "optimises the parameters in place, 1,000 particles a step unless particles = N; shows the final objective, a loss curve and the parameters"),
        "maximize": ("maximize(E[e], steps = 100, lr = 0.05, optimizer = \"adam\", particles = N, wrt = [...])", "the same as minimize, uphill"),
        "explain": ("explain(x) or explain(x, order = 2)", "the traced graph of x and the estimator of each random node, with reasons; order = 2 names each node's estimator at both orders of a Hessian"),
        "hist": ("hist(e, bins = 20)", "a histogram of e's particles, or of a list of numbers"),
        "normal_init": ("param w[n] = normal_init(sd, mean = 0)", "random starting values for a parameter vector"),
        "E": ("E[x]", "the expectation of x over the particles, ± its standard error"),
    ]
}
