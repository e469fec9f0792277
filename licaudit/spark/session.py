"""The Spark session of ``--engine spark``: the only module that imports PySpark.

A session already running in the process (a notebook's, a test's) is used as it is;
otherwise one is started at ``--spark-master`` and stopped when the audit is done.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import warnings
from pathlib import Path
from typing import Any

from licaudit.errors import ConfigError

INSTALL_HINT = "install it with pip install 'licaudit[spark]'."

# Conf of a session licaudit starts. Partials of tens of millions of events come back to
# the driver as a few hundred MB, above Spark's default 1 GiB cap only on far larger runs:
# the driver holds them whatever the cap, so the cap would only fail the run late.
SESSION_CONF = {
    "spark.app.name": "licaudit",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.maxResultSize": "0",
    "spark.sql.session.timeZone": "UTC",
}


def check_installed() -> None:
    """PySpark (with its SQL extras: pandas, pyarrow) and Java, or a ConfigError saying so."""
    for module in ("pyspark", "pandas"):  # pandas: PySpark's Arrow functions require it
        try:
            importlib.import_module(module)
        except ImportError:
            raise ConfigError(
                f"`--engine spark` needs PySpark with its SQL extras, and {module} is not "
                "installed.",
                INSTALL_HINT,
            ) from None
    java_home = os.environ.get("JAVA_HOME")
    has_java = java_home and os.path.isfile(os.path.join(java_home, "bin", "java"))
    if not has_java and shutil.which("java") is None:
        raise ConfigError(
            "`--engine spark` needs a Java runtime (17 or later) to start Spark, and no "
            "`java` was found (PATH, JAVA_HOME).",
            "install one (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME.",
        )


def start(master: str) -> tuple[Any, bool]:
    """The running Spark session, or one started at ``master``; and whether it was started
    here (then ``stop`` it when done)."""
    check_installed()
    quiet_pandas_warning()
    from pyspark.sql import SparkSession

    running = SparkSession.getActiveSession()
    if running is not None:
        return running, False
    if master.startswith("local"):
        # Local workers are forked on this machine: the interpreter of the driver, whose
        # packages (licaudit, Polars) they import. On a cluster, PYSPARK_PYTHON may name
        # the workers' interpreter; this one is the default.
        os.environ["PYSPARK_PYTHON"] = sys.executable
    else:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master)
    for key, value in SESSION_CONF.items():
        builder = builder.config(key, value)
    if "SPARK_CONF_DIR" not in os.environ:
        log_conf = Path(__file__).with_name("log4j2.properties").as_uri()
        builder = builder.config(
            "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={log_conf}"
        )
    try:
        session = builder.getOrCreate()
    except Exception as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ConfigError(
            f"Spark could not start at `--spark-master {master}`: {first}",
            "check the master URL (local[*], spark://host:7077, yarn, k8s://...) and that "
            "Java 17 or later runs; rerun with --debug to see Spark's error.",
        ) from None
    session.sparkContext.setLogLevel("ERROR")
    return session, True


def quiet_pandas_warning() -> None:
    """PySpark warns about pandas 3 on every Arrow UDF; licaudit hands it no pandas frame."""
    warnings.filterwarnings(
        "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
    )
