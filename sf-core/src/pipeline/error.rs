//! Why a pipeline cannot be planned or run.

/// Why a pipeline cannot be planned or run.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// An edge names a step the pipeline does not have.
    #[error("edge `{edge}`: no step `{step}`")]
    UnknownStep {
        /// The missing step.
        step: String,
        /// The edge, as text.
        edge: String,
    },
    /// An edge names an output channel its upstream step does not have.
    #[error("edge `{edge}`: step `{step}` has no output `{channel}` (outputs: {})", known.join(", "))]
    UnknownOutput {
        /// The upstream step.
        step: String,
        /// The missing channel.
        channel: String,
        /// The step's output channels.
        known: Vec<String>,
        /// The edge, as text.
        edge: String,
    },
    /// An edge names an input channel its downstream step does not have (in its data plan or
    /// its `reads`).
    #[error("edge `{edge}`: step `{step}` has no input `{channel}` (inputs: {})", known.join(", "))]
    UnknownInput {
        /// The downstream step.
        step: String,
        /// The missing channel.
        channel: String,
        /// The step's input channels.
        known: Vec<String>,
        /// The edge, as text.
        edge: String,
    },
    /// The bindings (explicit or implicit) form a cycle.
    #[error("the steps form a cycle: {}", cycle_text(steps))]
    Cycle {
        /// The steps on one cycle, in order (each feeds the next, the last feeds the first).
        steps: Vec<String>,
    },
    /// Two edges bind the same input.
    #[error("input `{input}` of step `{step}` is bound twice: by {}", sources.join(" and by "))]
    BoundTwice {
        /// The downstream step.
        step: String,
        /// Its input channel.
        input: String,
        /// The upstream outputs bound to it (`a.out`).
        sources: Vec<String>,
    },
    /// An input could bind implicitly to more than one upstream output.
    #[error(
        "input `{input}` of step `{step}` could come from {}; add an edge to choose one",
        candidates.join(" or ")
    )]
    AmbiguousImplicit {
        /// The downstream step.
        step: String,
        /// Its input channel.
        input: String,
        /// The upstream outputs it could bind to (`a.out`).
        candidates: Vec<String>,
    },
    /// An input named in `reads` has no edge, no implicit upstream and no data plan.
    #[error(
        "input `{input}` of step `{step}` is read but nothing fills it: no edge, no upstream \
         output of that name, no data plan"
    )]
    Unbound {
        /// The step.
        step: String,
        /// Its input channel.
        input: String,
    },
    /// Two steps share a name.
    #[error("two steps are called `{step}`")]
    DuplicateStep {
        /// The name.
        step: String,
    },
    /// The pipeline has no steps.
    #[error("the pipeline has no steps")]
    Empty,
    /// The run directory could not be created.
    #[error("cannot create the pipeline's run directory")]
    RunDir {
        /// The cause.
        #[source]
        source: crate::workspace::WorkspaceError,
    },
}

fn cycle_text(steps: &[String]) -> String {
    let mut text = steps.join(" -> ");
    if let Some(first) = steps.first() {
        text.push_str(" -> ");
        text.push_str(first);
    }
    text
}
