//! The command line: one file per command, each with its arguments, the step that turns
//! them into a resolved job (flags, environment and checkpoint checked once, there), and
//! its entry point.

pub mod backtest;
pub mod check;
pub mod compare;
pub mod limits;
pub mod merge;
pub mod run;
pub mod sensitivity;
pub mod verify;

use clap::{CommandFactory, Parser, Subcommand};

use crate::error::Error;

#[derive(Parser)]
#[command(
    name = "policysim",
    version,
    about = "Monte Carlo simulator of policy outcomes: budget exposure and target attainment",
    // Our own `help` below: clap's refuses `help --help` with exit code 2.
    disable_help_subcommand = true
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
    Backtest(backtest::Args),
    Verify(verify::Args),
    /// Print this message or the help of the given command
    Help(HelpArgs),
}

#[derive(clap::Args)]
struct HelpArgs {
    /// The command to explain (run, check, compare, merge, sensitivity, backtest, verify)
    command: Option<String>,
}

pub fn try_main() -> anyhow::Result<()> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            e.print()?;
            return Err(Error::bad_input("invalid command line").into());
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
        Command::Backtest(args) => backtest::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Help(args) => help(args.command.as_deref()),
    }
}

fn help(command: Option<&str>) -> anyhow::Result<()> {
    let mut cli = Cli::command();
    let text = match command {
        None => cli.render_long_help(),
        Some(name) => match cli.find_subcommand_mut(name) {
            Some(sub) => sub.render_long_help(),
            None => {
                return Err(Error::bad_input(format!(
                    "no command {name:?}; the commands are run, check, compare, merge, sensitivity, backtest, verify"
                ))
                .into())
            }
        },
    };
    print!("{}", text.ansi());
    Ok(())
}

/// Loads a scenario named on the command line; a scenario that cannot be used is bad
/// input (exit code 2).
pub fn load_scenario(path: &std::path::Path) -> Result<crate::scenario::LoadedScenario, Error> {
    Ok(crate::scenario::load(path)?)
}

/// `--as-of`: a date `YYYY-MM-DD` that exists, in the range every date of a scenario or
/// an actuals folder has (1900-01-01 .. 2200-12-31, docs/scenario-format.md). Public for
/// the fuzz target of the actuals reader, which reads its dates as `run` does.
pub fn parse_date(text: &str) -> Result<chrono::NaiveDate, String> {
    use crate::scenario::spec::{FIRST_DATE, LAST_DATE};
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("expected a date YYYY-MM-DD that exists, found `{text}`"))?;
    let bound = |d: &str| {
        d.parse::<chrono::NaiveDate>()
            .expect("the bounds are dates")
    };
    if date < bound(FIRST_DATE) || date > bound(LAST_DATE) {
        return Err(format!(
            "expected a date from {FIRST_DATE} to {LAST_DATE}, found `{text}`"
        ));
    }
    Ok(date)
}

/// Refuses a scenario with an `[actuals]` section in a command that does not run from
/// actuals: running it from its cohorts instead would answer another question silently.
pub(crate) fn refuse_actuals(
    s: &crate::scenario::Scenario,
    path: &std::path::Path,
    command: &str,
) -> Result<(), Error> {
    match &s.actuals {
        Some(a) => Err(Error::bad_input(format!(
            "{}: `policysim {command}` does not run from actuals; its [actuals] section \
             (dir {}, as_of {}) is for `policysim run`",
            path.display(),
            a.dir.display(),
            a.as_of
        ))),
        None => Ok(()),
    }
}
