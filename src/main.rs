//! The `policysim` command: parse, dispatch, map the outcome to an exit code
//! (0 ok, 2 bad input, 130 stopped by a signal, 1 anything else; see `error::Exit`).

use std::process::ExitCode;

fn main() -> ExitCode {
    match policysim::cli::try_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("policysim: {err:#}");
            ExitCode::from(policysim::error::exit_code(&err))
        }
    }
}
