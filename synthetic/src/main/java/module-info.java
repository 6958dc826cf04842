/**
 * Synthetic models for tests and benchmarks: see {@link dev.sdjava.synthetic.SyntheticModel}. Pure Java, no native
 * code and no dependency on the sdjava API, so that the API's own tests can use it.
 */
module dev.sdjava.synthetic {
    exports dev.sdjava.synthetic;
}
