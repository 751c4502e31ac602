//! The command line: one file per command, each with its arguments and its entry point.

pub mod check;
pub mod compare;
pub mod merge;
pub mod run;
pub mod sensitivity;
pub mod verify;

use clap::{Parser, Subcommand};

use crate::output::rundir::OutputError;
use crate::scenario::ScenarioError;

#[derive(Parser)]
#[command(
    name = "policysim",
    version,
    about = "Monte Carlo simulator of policy outcomes: budget exposure and target attainment"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Run(run::Args),
    Check(check::Args),
    Compare(compare::Args),
    Merge(merge::Args),
    Sensitivity(sensitivity::Args),
    Verify(verify::Args),
}

/// Bad input found by a command itself (flags, files): exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

pub fn try_main() -> anyhow::Result<()> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            e.print()?;
            return Err(BadInput("invalid command line".into()).into());
        }
        Err(e) => {
            e.print()?;
            return Ok(());
        }
    };
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Check(args) => check::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Sensitivity(args) => sensitivity::run(args),
        Command::Verify(args) => verify::run(args),
    }
}

/// Exit code for an error: 2 for bad input (scenario, flags, an existing run folder,
/// shards that do not belong together), 130 for a run stopped by a signal, 1 otherwise.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err
        .chain()
        .any(|e| e.is::<crate::job::Interrupted>() || e.is::<crate::job::InterruptedRun>())
    {
        return 130;
    }
    let bad_input = err.chain().any(|e| {
        e.is::<ScenarioError>()
            || e.is::<BadInput>()
            || e.is::<crate::job::ResumeError>()
            || e.is::<crate::merge::MergeError>()
            || e.is::<crate::output::manifest::NotARunFolder>()
            || matches!(
                e.downcast_ref::<OutputError>(),
                Some(OutputError::Exists(..) | OutputError::Interrupted(..))
            )
    });
    if bad_input {
        2
    } else {
        1
    }
}

/// `--threads`: at least 1; all cores by default.
pub fn worker_threads(flag: Option<usize>) -> Result<usize, BadInput> {
    match flag {
        Some(0) => Err(BadInput("--threads must be at least 1".into())),
        Some(t) => Ok(t),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

/// Installs the SIGINT/SIGTERM handler that asks running jobs to stop.
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        if crate::job::INTERRUPTED.swap(true, std::sync::atomic::Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("\npolicysim: interrupt received, stopping at the next block (press again to abort at once)");
    });
}
