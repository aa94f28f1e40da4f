"""Validation of the TOML configuration: the full example, and a table of broken files."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_inbox.config import (
    Config,
    ConfigError,
    PasswordKind,
    Problem,
    Security,
    default_store_path,
    load_config,
    parse_config,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "config"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
MARK = "# <-"

SECTIONS = {
    "account": '[account]\nname = "Acme Support"\naddress = "support@example.com"\n',
    "imap": '[imap]\nhost = "imap.example.com"\nusername = "support"\npassword_env = "IMAP_PASSWORD"\n',
    "smtp": '[smtp]\nhost = "smtp.example.com"\npassword_same_as_imap = true\n',
    "team": '[team]\nme = "ann@example.com"\n',
}


def build(top: str = "", extra: str = "", **sections: str) -> str:
    """A configuration from the valid default sections, with some replaced (or removed with "")."""
    parts = [top] if top else []
    parts += [sections.get(name, text) for name, text in SECTIONS.items()]
    parts += [extra] if extra else []
    return "\n".join(p for p in parts if p)


def marked_line(text: str) -> int | None:
    """The 1-based line carrying the `# <-` marker, where a problem is expected."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.rstrip().endswith(MARK):
            return number
    return None


def problems_of(text: str, **kwargs: object) -> list[Problem]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, **kwargs)  # type: ignore[arg-type]
    return caught.value.problems


def test_minimal_file_gets_every_default() -> None:
    config = load_config(DATA / "minimal.toml", {"HOME": "/home/ann"})
    assert config.imap.port == 993 and config.imap.security is Security.TLS
    assert config.imap.folders == ("INBOX",) and config.imap.sent_folder == "Sent"
    assert config.imap.idle is True and config.imap.batch_size == 500
    assert config.imap.sync_since_days is None  # everything, unless a window is asked for
    assert config.imap.connections == 2  # INBOX and the team events folder each idle on their own
    assert config.smtp.port == 465 and config.smtp.server_saves_sent is False
    assert config.smtp.username == config.imap.username  # borrowed along with the password
    assert config.smtp.password is config.imap.password
    assert config.store.path == default_store_path()
    assert config.threading.subject_merge is False and config.threading.subject_merge_window_days == 7
    assert dict(config.keys) == {} and config.theme is None
    assert config.warnings == ()


def test_full_example_is_valid_and_read_completely() -> None:
    config = load_config(DATA / "full.toml", {"HOME": "/home/ann"})
    assert config.account.name == "Acme Support" and config.account.address == "support@example.com"
    assert config.imap.host == "imap.example.com" and config.imap.port == 993
    assert config.imap.password is not None and config.imap.password.kind is PasswordKind.COMMAND
    assert config.imap.password.argv == ("pass", "show", "mail/support@example.com")
    assert config.imap.folders == ("INBOX", "Escalations")
    assert config.imap.connections == 2
    assert config.smtp.security is Security.STARTTLS and config.smtp.port == 587
    assert config.smtp.password_same_as_imap and config.smtp.password == config.imap.password
    assert [m.email for m in config.team.members] == ["ann@example.com", "bob@example.com"]
    assert config.me.name == "Ann Lee" and config.me.signature == "Ann Lee\nAcme Support"
    assert config.store.path == Path("/home/ann/.local/share/shared-inbox/store")
    assert dict(config.keys) == {"reply": "r", "assign_to_me": "m"}
    assert config.theme == "textual-dark"
    assert config.our_addresses == {"support@example.com", "ann@example.com", "bob@example.com"}
    assert config.source == DATA / "full.toml"


def test_documentation_shows_the_full_example_verbatim() -> None:
    doc = DOCS.read_text(encoding="utf-8")
    section = doc.split("## Complete example", 1)[1]
    block = re.search(r"```toml\n(.*?)```", section, re.DOTALL)
    assert block is not None
    assert block.group(1) == (DATA / "full.toml").read_text(encoding="utf-8")


def test_config_is_frozen() -> None:
    config = load_config(DATA / "minimal.toml")
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.imap.port = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.keys["reply"] = "x"  # type: ignore[index]


# (id, text, expected path, expected message fragment, expected hint fragment or None)
BROKEN = [
    (
        "unknown key with hint",
        build(
            imap='[imap]\nhots = "imap.example.com"  # <-\nhost = "x.example"\n'
            'username = "s"\npassword_env = "P"\n'
        ),
        "imap.hots",
        "unknown key 'hots'",
        "did you mean 'host'?",
    ),
    (
        "unknown top-level key belonging to another section",
        build(top='me = "ann@example.com"  # <-'),
        "me",
        "belongs in [team]",
        None,
    ),
    (
        "smtp-only key in imap",
        build(imap=SECTIONS["imap"] + "password_same_as_imap = true  # <-\n"),
        "imap.password_same_as_imap",
        "belongs in [smtp]",
        None,
    ),
    (
        "wrong type with line number",
        build(imap=SECTIONS["imap"] + 'port = "993"  # <-\n'),
        "imap.port",
        "expected an integer, got a string ('993')",
        None,
    ),
    (
        "boolean where an integer is expected",
        build(imap=SECTIONS["imap"] + "batch_size = true  # <-\n"),
        "imap.batch_size",
        "expected an integer, got a boolean",
        None,
    ),
    (
        "a sync window that is no time span",
        build(imap=SECTIONS["imap"] + 'sync_since = "last year"  # <-\n'),
        "imap.sync_since",
        'is not a time span; write it like "365d"',
        None,
    ),
    (
        "a sync window of no days",
        build(imap=SECTIONS["imap"] + 'sync_since = "0d"  # <-\n'),
        "imap.sync_since",
        "is not a time span",
        None,
    ),
    (
        "integer out of range",
        build(imap=SECTIONS["imap"] + "port = 70000  # <-\n"),
        "imap.port",
        "between 1 and 65535",
        None,
    ),
    (
        "bad security value lists the allowed ones",
        build(smtp=SECTIONS["smtp"] + 'security = "ssl"  # <-\n'),
        "smtp.security",
        'use one of "tls", "starttls", "none"',
        None,
    ),
    (
        "misspelt security value",
        build(smtp=SECTIONS["smtp"] + 'security = "starttsl"  # <-\n'),
        "smtp.security",
        "is not allowed",
        "did you mean 'starttls'?",
    ),
    (
        "security none on a public host",
        build(smtp='[smtp]\nhost = "mail.example.com"\nsecurity = "none"  # <-\n'),
        "smtp.security",
        "only allowed for a loopback host",
        '"tls" or "starttls"',
    ),
    (
        "security none on an address just outside loopback",
        build(smtp='[smtp]\nhost = "128.0.0.1"\nsecurity = "none"  # <-\n'),
        "smtp.security",
        "only allowed for a loopback host",
        None,
    ),
    (
        "missing tls_ca_file",
        build(imap=SECTIONS["imap"] + 'tls_ca_file = "/nonexistent/ca.pem"  # <-\n'),
        "imap.tls_ca_file",
        "file not found: /nonexistent/ca.pem",
        "private CA",
    ),
    (
        "missing required key points at the table header",
        build(imap='[imap]  # <-\nusername = "support"\npassword_env = "P"\n'),
        "imap.host",
        "missing required key 'host'",
        None,
    ),
    (
        "missing required section",
        build(smtp=""),
        "smtp",
        "missing required section [smtp]",
        None,
    ),
    (
        "host written as a URL",
        build(imap='[imap]\nhost = "imaps://imap.example.com"  # <-\nusername = "s"\npassword_env = "P"\n'),
        "imap.host",
        "is not a host name",
        "port and security are separate keys",
    ),
    (
        "two password sources",
        build(imap=SECTIONS["imap"] + "keyring = true  # <-\n"),
        "imap.keyring",
        "choose one password source",
        None,
    ),
    (
        "imap without a password source",
        build(imap='[imap]  # <-\nhost = "imap.example.com"\nusername = "support"\n'),
        "imap",
        "no password source",
        "password_command",
    ),
    (
        "smtp username without a password source",
        build(smtp='[smtp]\nhost = "smtp.example.com"\nusername = "relay"  # <-\n'),
        "smtp.username",
        "no password source",
        None,
    ),
    (
        "keyring without a username",
        build(smtp='[smtp]\nhost = "smtp.example.com"\nkeyring = true  # <-\n'),
        "smtp.keyring",
        "needs a username",
        None,
    ),
    (
        "password_env that is not a variable name",
        build(imap='[imap]\nhost = "imap.example.com"\nusername = "s"\npassword_env = "MY PASSWORD"  # <-\n'),
        "imap.password_env",
        "is not an environment variable name",
        None,
    ),
    (
        "password_command with unbalanced quotes",
        build(imap='[imap]\nhost = "i.example"\nusername = "s"\npassword_command = "pass \'show"  # <-\n'),
        "imap.password_command",
        "cannot be split into arguments",
        "quotes",
    ),
    (
        "password_command of the wrong type",
        build(imap='[imap]\nhost = "i.example"\nusername = "s"\npassword_command = 5  # <-\n'),
        "imap.password_command",
        "expected a string or an array of strings",
        None,
    ),
    (
        "bad email address",
        build(account='[account]\nname = "Acme"\naddress = "support at example.com"  # <-\n'),
        "account.address",
        "is not an email address",
        None,
    ),
    (
        "account name both at top level and in [account]",
        build(top='name = "Acme"  # <-'),
        "name",
        "both at the top level and in [account]",
        None,
    ),
    (
        "me is not a team member",
        build(
            team='[team]\nme = "ann@exmaple.com"  # <-\n\n[[team.members]]\n'
            'name = "Ann"\nemail = "ann@example.com"\n'
        ),
        "team.me",
        "is not one of the team.members",
        "did you mean 'ann@example.com'?",
    ),
    (
        "member listed twice",
        build(
            team='[team]\nme = "ann@example.com"\n[[team.members]]\nname = "Ann"\nemail = "ann@example.com"\n'
            '[[team.members]]\nname = "Ann again"\nemail = "ANN@example.com"  # <-\n'
        ),
        "team.members[1].email",
        "listed twice",
        None,
    ),
    (
        "unknown key inside the second member",
        build(
            team='[team]\nme = "ann@example.com"\n[[team.members]]\nname = "Ann"\nemail = "ann@example.com"\n'
            '[[team.members]]\nname = "Bob"\nemail = "bob@example.com"\nsignture = "Bob"  # <-\n'
        ),
        "team.members[1].signture",
        "unknown key",
        "did you mean 'signature'?",
    ),
    (
        "control character in a one-line value",
        build(account='[account]\nname = "Acme\\u001b[31m"  # <-\naddress = "support@example.com"\n'),
        "account.name",
        "control character U+001B",
        None,
    ),
    (
        "empty folder list",
        build(imap=SECTIONS["imap"] + "folders = []  # <-\n"),
        "imap.folders",
        "at least one entry",
        None,
    ),
    (
        "folder of the wrong type in a multi-line array",
        build(imap=SECTIONS["imap"] + 'folders = [\n  "INBOX",\n  42,  # <-\n]\n'),
        "imap.folders[1]",
        "expected a string, got an integer",
        None,
    ),
    (
        "subject merge window out of range",
        build(extra="[threading]\nsubject_merge_window_days = 0  # <-\n"),
        "threading.subject_merge_window_days",
        "between 1 and 365",
        None,
    ),
    (
        "key binding that is not a string",
        build(extra="[keys]\nreply = 1  # <-\n"),
        "keys.reply",
        "expected a string, got an integer",
        None,
    ),
    (
        "thread order misspelt",
        build(extra='[interface]\nthread_order = "newest-first"  # <-\n'),
        "interface.thread_order",
        'not allowed; use one of "oldest_first", "newest_first"',
        "did you mean 'newest_first'?",
    ),
    (
        "IMAP connections other than one or two",
        build(imap=SECTIONS["imap"] + "connections = 3  # <-\n"),
        "imap.connections",
        "must be 1 or 2, got 3",
        "1 idles on INBOX",
    ),
    (
        "IMAP connections written as a string",
        build(imap=SECTIONS["imap"] + 'connections = "1"  # <-\n'),
        "imap.connections",
        "expected an integer, got a string",
        None,
    ),
    (
        "IMAP connections misspelt",
        build(imap=SECTIONS["imap"] + "conections = 1  # <-\n"),
        "imap.conections",
        "unknown key 'conections'",
        "did you mean 'connections'?",
    ),
    (
        "theme that is not a string",
        build(top="theme = 3  # <-"),
        "theme",
        "expected a string",
        None,
    ),
    (
        "section written as a value",
        build(top='store = "/tmp/x"  # <-'),
        "store",
        "expected a table",
        None,
    ),
]


@pytest.mark.parametrize(
    ("text", "path", "message", "hint"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN]
)
def test_broken_configuration_is_reported_precisely(
    text: str, path: str, message: str, hint: str | None
) -> None:
    problems = problems_of(text)
    matching = [p for p in problems if p.path == path and message in p.message]
    assert matching, f"no problem at {path} mentioning {message!r}; got {problems}"
    problem = matching[0]
    assert problem.line == marked_line(text)
    if hint is not None:
        assert problem.hint is not None and hint in problem.hint


def test_syntax_error_reports_line_and_column() -> None:
    text = build(imap='[imap]\nhost = "imap.example.com\nusername = "s"\n')
    problems = problems_of(text)
    assert len(problems) == 1
    expected_line = text.splitlines().index('host = "imap.example.com') + 1
    assert problems[0].line == expected_line
    assert "TOML syntax error" in problems[0].message and "column" in problems[0].message


def test_every_problem_is_collected_in_one_pass() -> None:
    text = build(
        imap='[imap]\nhots = "x"\nport = "993"\nsecurity = "ssl"\nusername = "s"\npassword_env = "P"\n',
        team='[team]\nme = "not-an-address"\n',
        extra="[threading]\nsubject_merge = 1\n",
    )
    paths = {p.path for p in problems_of(text)}
    assert {
        "imap.hots",
        "imap.host",
        "imap.port",
        "imap.security",
        "team.me",
        "threading.subject_merge",
    } <= paths


def test_error_report_is_readable_and_in_file_order() -> None:
    text = build(
        imap='[imap]\nhost = "imap.example.com"\nsecurity = "starttsl"\nport = "993"\nusername = "s"\n'
        'password_env = "P"\n',
        top='hots = "x"',
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source="config.toml")
    report = str(caught.value)
    lines = report.splitlines()
    assert lines[0] == "config.toml: 3 configuration problems:"
    assert lines[1] == "  line 1: hots: unknown key 'hots'"
    assert lines[2].startswith("  line 8: imap.security: 'starttsl' is not allowed")
    assert lines[3] == "    hint: did you mean 'starttls'?"
    assert lines[4] == "  line 9: imap.port: expected an integer, got a string ('993')"
    numbers = [p.line for p in caught.value.problems]
    assert numbers == sorted(n for n in numbers if n is not None)


def test_plain_password_refused_when_file_is_readable_by_others() -> None:
    text = build(imap='[imap]\nhost = "i.example"\nusername = "s"\npassword = "hunter2-secret"  # <-\n')
    problems = problems_of(text, file_mode=0o644, source="/etc/si.toml")
    assert [p.path for p in problems] == ["imap.password"]
    assert problems[0].line == marked_line(text)
    assert "0644" in problems[0].message and problems[0].hint is not None and "chmod 600" in problems[0].hint
    assert "hunter2-secret" not in str(ConfigError(problems))


def test_plain_password_accepted_with_warning_when_file_is_private() -> None:
    text = build(imap='[imap]\nhost = "i.example"\nusername = "s"\npassword = "hunter2-secret"\n')
    config = parse_config(text, file_mode=0o600)
    assert config.imap.password is not None and config.imap.password.plain == "hunter2-secret"
    assert len(config.warnings) == 1 and "imap.password" in config.warnings[0]
    assert "hunter2-secret" not in config.warnings[0] and "hunter2-secret" not in repr(config)


def test_plain_password_of_wrong_type_is_not_echoed() -> None:
    text = build(imap='[imap]\nhost = "i.example"\nusername = "s"\npassword = 987654321\n')
    problems = problems_of(text, file_mode=0o600)
    assert any(p.path == "imap.password" for p in problems)
    assert "987654321" not in str(ConfigError(problems))


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.3.2.1", "::1", "[::1]", "LOCALHOST"])
def test_security_none_is_allowed_on_loopback(host: str) -> None:
    config = parse_config(build(smtp=f'[smtp]\nhost = "{host}"\nsecurity = "none"\n'))
    assert config.smtp.security is Security.NONE and config.smtp.port == 25
    assert config.smtp.password is None and config.smtp.username is None


def test_existing_ca_file_is_accepted_relative_to_the_config_directory(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n", encoding="ascii")
    config = parse_config(
        build(imap=SECTIONS["imap"] + 'tls_ca_file = "ca.pem"\n', extra='[store]\npath = "state"\n'),
        base_dir=tmp_path,
    )
    assert config.imap.tls_ca_file == tmp_path / "ca.pem"
    assert config.store.path == tmp_path / "state"


def test_home_directory_comes_from_the_given_environment() -> None:
    config = parse_config(build(extra='[store]\npath = "~/inbox-state"\n'), env={"HOME": "/home/zoe"})
    assert config.store.path == Path("/home/zoe/inbox-state")


def test_top_level_account_keys_are_accepted() -> None:
    config = parse_config(build(top='name = "Acme"\naddress = "Help@Example.com"', account=""))
    assert config.account.name == "Acme" and config.account.address == "help@example.com"


def test_members_are_synthesised_from_me_only_when_none_are_listed() -> None:
    config = parse_config(build(team='[team]\nme = "Zoe@Example.com"\n'))
    assert config.team.me == "zoe@example.com"
    assert [(m.name, m.email) for m in config.team.members] == [("zoe", "zoe@example.com")]
    assert config.me.email == "zoe@example.com"


def test_port_that_suggests_the_other_security_gives_a_warning() -> None:
    config = parse_config(build(imap=SECTIONS["imap"] + 'security = "tls"\nport = 143\n'))
    assert any("imap.port" in w and "starttls" in w for w in config.warnings)


def test_password_command_as_array_keeps_arguments_exactly() -> None:
    config = parse_config(
        build(imap='[imap]\nhost = "i.example"\nusername = "s"\npassword_command = ["op", "read", "a b"]\n')
    )
    assert config.imap.password is not None and config.imap.password.argv == ("op", "read", "a b")


def test_keyring_source_uses_the_connection_username() -> None:
    config = parse_config(build(imap='[imap]\nhost = "i.example"\nusername = "helpdesk"\nkeyring = true\n'))
    assert config.imap.password is not None
    assert (
        config.imap.password.kind is PasswordKind.KEYRING and config.imap.password.keyring_user == "helpdesk"
    )


def test_keyring_false_means_no_keyring() -> None:
    config = parse_config(build(imap=SECTIONS["imap"] + "keyring = false\n"))
    assert config.imap.password is not None and config.imap.password.kind is PasswordKind.ENV


def test_importing_the_configuration_does_not_pull_in_ui_or_mail_libraries() -> None:
    import subprocess
    import sys

    code = (
        "import sys, shared_inbox.config\n"
        "bad = [m for m in ('textual', 'rich', 'imapclient', 'aiosmtplib', 'tinydb') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


FULL_LINES = (DATA / "full.toml").read_text(encoding="utf-8").splitlines(keepends=True)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, len(FULL_LINES) - 1), st.sampled_from(["drop", "dup", "garble", "retype"])),
        max_size=4,
    )
)
def test_mutated_configurations_yield_config_or_config_error(edits: list[tuple[int, str]]) -> None:
    lines = list(FULL_LINES)
    for index, action in edits:
        index %= len(lines)
        if action == "drop":
            del lines[index]
        elif action == "dup":
            lines.insert(index, lines[index])
        elif action == "garble":
            lines[index] = lines[index][::-1]
        else:
            lines[index] = re.sub(r"= .*", "= 1.5", lines[index])
        if not lines:
            lines = ["\n"]
    try:
        result = parse_config("".join(lines), env={"HOME": "/home/ann"})
    except ConfigError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
    else:
        assert isinstance(result, Config)


def test_section_of_the_wrong_type_is_one_problem_not_many() -> None:
    text = build(top='imap = 5  # <-\nteam = "ann"', imap="", team="")
    problems = problems_of(text)
    assert [(p.path, p.line) for p in problems] == [("imap", 1), ("team", 2)]
    assert all("expected a table" in p.message for p in problems)


def test_thread_order_is_read_and_defaults_to_oldest_first() -> None:
    from shared_inbox.config.model import ThreadOrder

    assert parse_config(build()).interface.thread_order is ThreadOrder.OLDEST_FIRST
    newest = parse_config(build(extra='[interface]\nthread_order = "newest_first"\n'))
    assert newest.interface.thread_order is ThreadOrder.NEWEST_FIRST


@pytest.mark.parametrize(
    ("text", "days"), [("365d", 365), ("26w", 182), ("12m", 360), ("2y", 730), (" 90 D ", 90)]
)
def test_sync_window_spans(text: str, days: int) -> None:
    config = parse_config(build(imap=SECTIONS["imap"] + f'sync_since = "{text}"\n'))
    assert config.imap.sync_since_days == days
