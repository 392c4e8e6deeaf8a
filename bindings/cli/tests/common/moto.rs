//! A local moto server standing in for AWS (SNS, SQS, S3), for the test binaries that talk to
//! AWS through the built binary.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{BIN, Run};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A moto server on 127.0.0.1, stopped when dropped.
pub struct Moto {
    child: Child,
    pub endpoint: String,
    /// Its standard error, shown when it does not start.
    log: PathBuf,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// The account the sample's records name; moto answers as this account.
pub const ACCOUNT: &str = "111122223333";

/// Starts `python -m moto.server` from the repository's venv. Without the venv the test is
/// skipped with a message, except in CI (`CI=true`), where it fails: there `tests/run.sh`
/// makes the venv before the Rust tests.
pub fn moto() -> Option<Moto> {
    let python = root().join("bindings/python/.venv/bin/python");
    if !python.exists() {
        let why = format!(
            "{} is missing: run tests/run.sh (or make it with `python3 -m venv` and \
             `pip install -r bindings/python/requirements-test.txt`)",
            python.display()
        );
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("the tests against AWS need moto: {why}");
        }
        eprintln!("SKIPPED: the tests against AWS need moto: {why}");
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = std::env::temp_dir().join(format!("trailmatch-moto-{port}.log"));
    let child = Command::new(&python)
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .env("MOTO_ACCOUNT_ID", ACCOUNT)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
        log,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = moto.child.try_wait().unwrap() {
            panic!(
                "moto.server exited ({status}): {}",
                std::fs::read_to_string(&moto.log).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "moto.server did not start within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(moto)
}

/// The environment of a run against moto: its endpoint, test credentials, and nothing from
/// this machine's AWS configuration.
pub fn aws_env(command: &mut Command, endpoint: &str) {
    for name in [
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL_SNS",
        "AWS_ENDPOINT_URL_S3",
        "AWS_DEFAULT_REGION",
    ] {
        command.env_remove(name);
    }
    command
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent/trailmatch-test/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/trailmatch-test/credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true");
}

/// The AWS configuration of the test's own clients on moto at `endpoint`: test credentials, in
/// us-east-1.
pub fn sdk_config(runtime: &tokio::runtime::Runtime, endpoint: &str) -> aws_config::SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    runtime.block_on(
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(http)
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(aws_sdk_sns::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .load(),
    )
}

/// `trailmatch scan ARGS` against AWS at `endpoint` ([`aws_env`]).
pub fn scan_against(endpoint: &str, args: &[&str]) -> Run {
    run_against(endpoint, "scan", args)
}

/// `trailmatch COMMAND ARGS` against AWS at `endpoint` ([`aws_env`]).
pub fn run_against(endpoint: &str, subcommand: &str, args: &[&str]) -> Run {
    let mut command = Command::new(BIN);
    command.arg(subcommand).args(args).stdin(Stdio::null());
    aws_env(&mut command, endpoint);
    let out = command.output().unwrap();
    Run {
        status: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// An S3 client of the test's own on moto, with a runtime to drive it.
pub struct Bucket {
    runtime: tokio::runtime::Runtime,
    s3: aws_sdk_s3::Client,
    name: String,
}

impl Bucket {
    pub fn new(endpoint: &str, name: &str) -> Bucket {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let config = sdk_config(&runtime, endpoint);
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        );
        runtime
            .block_on(s3.create_bucket().bucket(name).send())
            .unwrap();
        Bucket {
            runtime,
            s3,
            name: name.to_owned(),
        }
    }

    pub fn put(&self, key: &str, body: Vec<u8>, class: Option<aws_sdk_s3::types::StorageClass>) {
        let put = self
            .s3
            .put_object()
            .bucket(&self.name)
            .key(key)
            .body(aws_sdk_s3::primitives::ByteStream::from(body))
            .set_storage_class(class);
        self.runtime.block_on(put.send()).unwrap();
    }
}
