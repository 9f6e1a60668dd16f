//! What happens when a script runs `pip install` while it runs.

vocabulary! {
    /// What `pip install …` from inside a run does (the run reaches sf's shim, not the network).
    #[derive(Default)]
    pub enum RuntimeInstalls("runtime_installs setting") {
        /// Requirements the environment lacks are added to the script's prepared environment,
        /// and the run is repeated once in it (the default).
        #[default]
        Prepare = "prepare",
        /// A requirement the environment lacks fails the test, naming it and how to declare it.
        Fail = "fail",
        /// The install succeeds without installing anything; each requirement the environment
        /// lacks is listed as a warning.
        Skip = "skip",
    }
}
