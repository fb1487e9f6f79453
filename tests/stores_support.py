"""The triple stores data teams run, started for real on loopback: OpenLink Virtuoso and Apache Jena.

Both come from Debian (`.ci/run` installs ``virtuoso-opensource`` and
``libapache-jena-java``); ``missing()`` names what is not installed, and the
tests fail on it (never skip). Used by tests/test_stores.py and
benchmarks/bench_stores.py.

Virtuoso: ``virtuoso()`` writes a virtuoso.ini whose database, SQL port and
HTTP port are a fresh folder and free loopback ports, starts ``virtuoso-t`` in
the foreground, waits until /sparql answers, and grants SPARQL_UPDATE so that
``tipkg publish`` can PUT through the unauthenticated Graph Store endpoint
``/sparql-graph-crud`` (the authenticated ``/sparql-graph-crud-auth`` takes
the ``dba`` account).

Jena: the command-line tools (``tdb2.tdbloader``, ``tdb2.tdbquery``) run as
``java -cp … CLASS``. The class path is Jena's jars and those of the packages
Jena depends on, with one SLF4J binding (Debian ships several, and two at once
stop Jena at start-up). Debian's jena-core relocates its bundled Xerces
classes to ``xerces.*`` but leaves their message files under
``org/apache/jena/ext/xerces``; Xerces then fails building the XSD datatypes
("internal error" in XSSimpleTypeDecl.applyFacets1) and no command starts.
``jena_classpath`` copies those files to where the relocated classes look.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lod_support import free_port

JAVA_DIR = Path("/usr/share/java")
JENA_PACKAGE = "libapache-jena-java"
SLF4J = ["slf4j-api.jar", "slf4j-simple.jar"]
#: JVM options for a short run (one query): the client compiler only, the serial collector; half the start-up time
QUICK_JVM = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
TOOLS = {"virtuoso-t": "virtuoso-opensource", "isql-vt": "virtuoso-opensource", "java": "default-jre-headless"}


def missing() -> list[str]:
    """Debian packages whose programs or jars are not installed."""
    need = sorted({package for tool, package in TOOLS.items() if shutil.which(tool) is None})
    if not (JAVA_DIR / "jena-cmds.jar").is_file():
        need.append(JENA_PACKAGE)
    return need


# --- Virtuoso -------------------------------------------------------------------------------------

VIRTUOSO_INI = """\
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql}
DisableUnixSocket = 1
CaseMode = 2
DirsAllowed = {db}
NumberOfBuffers = 40000
MaxDirtyBuffers = 30000
ThreadsPerQuery = 2
[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {db}
ServerThreads = 4
MaxClientConnections = 4
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 300
MaxQueryCostEstimationTime = 0
"""


@dataclass(frozen=True)
class Virtuoso:
    base: str      # http://127.0.0.1:PORT
    sql_port: int

    @property
    def sparql(self) -> str:
        return self.base + "/sparql"

    @property
    def graph_store(self) -> str:
        return self.base + "/sparql-graph-crud"

    @property
    def graph_store_auth(self) -> str:
        return self.base + "/sparql-graph-crud-auth"

    def isql(self, statements: str) -> str:
        done = subprocess.run(["isql-vt", f"127.0.0.1:{self.sql_port}", "dba", "dba", f"exec={statements}"],
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
            raise RuntimeError(f"isql-vt: {done.stdout[-400:]} {done.stderr[-400:]}")
        return done.stdout


@contextmanager
def virtuoso(folder: Path, start_timeout: float = 120.0):
    """A fresh Virtuoso on loopback, its database in ``folder``; stopped (its process only) on exit."""
    db = Path(folder).resolve()
    db.mkdir(parents=True, exist_ok=True)
    sql, http = free_port(), free_port()
    (db / "virtuoso.ini").write_text(VIRTUOSO_INI.format(db=db, sql=sql, http=http), encoding="utf-8")
    log = open(db / "stdout.log", "wb")
    process = subprocess.Popen(["virtuoso-t", "-f", "-c", str(db / "virtuoso.ini")], cwd=db,
                               stdout=log, stderr=subprocess.STDOUT)
    server = Virtuoso(f"http://127.0.0.1:{http}", sql)
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                urllib.request.urlopen(server.sparql + "?query=ASK%7B%7D", timeout=5).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("virtuoso-t did not start: " + (db / "stdout.log").read_text(errors="replace")[-800:])
                time.sleep(0.5)
        server.isql('GRANT SPARQL_UPDATE TO "SPARQL"; DB.DBA.RDF_DEFAULT_USER_PERMS_SET (\'nobody\', 7);')
        yield server
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        log.close()


# --- Jena -----------------------------------------------------------------------------------------

def _package_jars(package: str) -> list[Path]:
    listing = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True).stdout.split()
    return [Path(p) for p in listing if p.startswith(str(JAVA_DIR) + "/") and p.endswith(".jar")]


def jena_classpath(folder: Path) -> str:
    """``-cp`` for Jena's command-line tools (see the module docstring), with the Xerces messages in ``folder``."""
    depends = subprocess.run(["apt-cache", "depends", "--no-recommends", "--no-suggests", JENA_PACKAGE],
                             capture_output=True, text=True).stdout
    packages = [JENA_PACKAGE] + [line.split(":", 1)[1].strip() for line in depends.splitlines()
                                 if line.strip().startswith("Depends:")]
    jars = sorted({j for p in packages for j in _package_jars(p)
                   if "slf4j" not in j.name and not any(c.isdigit() for c in j.stem.rsplit("-", 1)[-1][:1])})
    jars += [JAVA_DIR / name for name in SLF4J]
    messages = Path(folder) / "jena-xerces-messages"
    prefix = "org/apache/jena/ext/xerces/"
    with zipfile.ZipFile(JAVA_DIR / "jena-core.jar") as jar:
        for name in jar.namelist():
            if name.startswith(prefix) and name.endswith(".properties"):
                target = messages / "xerces" / name[len(prefix):]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(jar.read(name))
    return ":".join(str(j) for j in jars + [messages])


def tdb_load(classpath: str, location: Path, ntriples: Path) -> None:
    """Load N-Triples into a new TDB2 database with Jena's bulk loader."""
    done = subprocess.run(["java", "-cp", classpath, "tdb2.tdbloader", "--loc", str(location), str(ntriples)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"tdb2.tdbloader failed: {done.stderr[-800:]}")


def tdb_query(classpath: str, location: Path, query: str) -> dict:
    """One query with ``tdb2.tdbquery``; its SPARQL JSON results."""
    with tempfile.NamedTemporaryFile("w", suffix=".rq", encoding="utf-8", delete=False) as f:
        f.write(query)
    try:
        done = subprocess.run(["java", *QUICK_JVM, "-cp", classpath, "tdb2.tdbquery", "--loc", str(location), "--results=json",
                               "--query", f.name], capture_output=True, text=True)
    finally:
        Path(f.name).unlink()
    if done.returncode != 0:
        raise RuntimeError(f"tdb2.tdbquery failed: {done.stderr[-800:]}")
    return json.loads(done.stdout)
