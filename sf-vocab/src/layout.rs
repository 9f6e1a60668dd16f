//! How data is laid out: generated files in an input channel, and channels for the script.

vocabulary! {
    /// How generated rows are laid out as files in an input channel (`layout` of a channel in
    /// `sf.toml`).
    pub enum LayoutKind("layout") {
        /// One file.
        Single = "single",
        /// `part-NNNNN` files.
        Shards = "shards",
        /// One folder per split (`train/`, `test/`, `val/`).
        Splits = "splits",
        /// One folder named after the job argument `job_type`.
        JobType = "job_type",
    }
}

vocabulary! {
    /// Where a script finds its channels.
    #[derive(Default)]
    pub enum RunLayout("layout") {
        /// The workspace's `inputs/<channel>/` and `outputs/<channel>/` (the default).
        #[default]
        Workspace = "workspace",
        /// SageMaker Processing's `/opt/ml/processing/input/<channel>` and
        /// `/opt/ml/processing/output/<channel>`, with the script run as its own `__main__`.
        Sagemaker = "sagemaker",
    }
}
