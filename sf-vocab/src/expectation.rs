//! What a test expects of its script.

vocabulary! {
    /// What the test expects of the script.
    #[derive(Default)]
    pub enum Expectation("expectation") {
        /// The script must succeed (the default).
        #[default]
        Pass = "pass",
        /// The script must fail (raise, or exit non-zero); a timeout or a failure to start is
        /// still a FAIL.
        Fail = "fail",
    }
}
