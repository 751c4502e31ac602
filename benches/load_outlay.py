"""Time loading the outlay.total column of a run folder's replications file, one library
and format per process: wall time and this process's user+sys CPU time (all threads).
Usage: load_outlay.py polars|pandas|duckdb RUN/replications.csv|.parquet (row_formats.sh)."""
import resource, sys, time

lib, path = sys.argv[1], sys.argv[2]
col = "outlay.total"
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
if lib == "polars":
    import polars as pl
elif lib == "pandas":
    import pandas as pd
elif lib == "duckdb":
    import duckdb
t0, c0 = time.perf_counter(), cpu()
if lib == "polars":
    df = pl.read_csv(path, columns=[col]) if path.endswith(".csv") else pl.read_parquet(path, columns=[col])
    n, mean = df.height, df[col].mean()
elif lib == "pandas":
    df = pd.read_csv(path, usecols=[col], engine="c") if path.endswith(".csv") else pd.read_parquet(path, columns=[col])
    n, mean = len(df), df[col].mean()
else:
    fn = "read_csv" if path.endswith(".csv") else "read_parquet"
    n, mean = duckdb.sql(f"select count(*), avg(\"{col}\") from {fn}('{path}')").fetchall()[0]
t1, c1 = time.perf_counter(), cpu()
print(f"{lib} {path.rsplit('/',2)[-2]}/{path.rsplit('/',1)[-1]} rows={n} mean={mean:.6f} wall={t1-t0:.2f}s cpu={c1-c0:.2f}s")
