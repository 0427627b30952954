"""A small re-implementation of the picocli parsing rules neo4j-admin relies on.

Only what the neo4j-admin stand-in needs: long options (`--opt=value` and
`--opt value`), options of arity 1, boolean options whose value is required
or optional (`--compress[=true|false]`), pure flags (arity 0), comma-split
repeatable list options, positional parameters with an arity, `--` as the
end of options, and picocli's messages for the usage errors:

    Unknown option: '--foo'
    Missing required option: '--backup-dir=<path>'
    Missing required parameter: '<database>'
    Missing required parameter for option '--to-path' (<path>)
    Expected parameter for option '--to-path' but found '--type=FULL'
    Invalid value for option '--compress': 'maybe' is not a boolean
    option '--force' should be specified without 'true' parameter
    option '--database' (<database>) should be specified only once
    Unmatched argument at index 3: 'extra'

The caller turns a UsageError into picocli's exit status for invalid input
(CommandLine.ExitCode.USAGE == 2).
"""

USAGE_EXIT = 2  # picocli.CommandLine.ExitCode.USAGE


class UsageError(Exception):
    """A command line picocli would refuse (exit 2)."""


class HelpRequested(Exception):
    """-h / --help was given."""


def parse_bool(value, optname):
    # picocli's BooleanConverter: "true"/"false", case-insensitive.
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise UsageError("Invalid value for option '%s': '%s' is not a boolean" % (optname, value))


class Opt:
    """One option. kind is one of:
    value   arity 1: --opt=<v> or --opt <v>
    list    arity 1..*, comma-split, may be repeated (values accumulate)
    bool1   boolean with a required value (--opt=<true|false>)
    bool01  boolean with an optional value; bare --opt means true
    flag    boolean of arity 0; an attached value is refused
    """

    def __init__(self, name, kind="value", label="<value>", required=False,
                 conv=None, default=None):
        self.name = name
        self.kind = kind
        self.label = label
        self.required = required
        self.conv = conv
        self.default = default

    def convert(self, raw):
        if self.kind in ("bool1", "bool01"):
            return parse_bool(raw, self.name)
        if raw == "":
            # picocli would pass an empty string through; the stand-in is
            # stricter on purpose: an empty value is always a caller bug.
            raise UsageError("Invalid value for option '%s': '' (an empty value)" % self.name)
        if self.conv is not None:
            try:
                return self.conv(raw)
            except ValueError as e:
                raise UsageError("Invalid value for option '%s': %s" % (self.name, e))
        return raw

    def synopsis(self):
        if self.kind == "flag":
            return self.name
        if self.kind == "bool01":
            return "%s[=true|false]" % self.name
        if self.kind == "list":
            return "%s=%s[,%s...]" % (self.name, self.label, self.label)
        return "%s=%s" % (self.name, self.label)


class Pos:
    """Positional parameters: label, min and max count (max None = unbounded)."""

    def __init__(self, name, label, min_count=1, max_count=1, conv=None):
        self.name = name
        self.label = label
        self.min = min_count
        self.max = max_count
        self.conv = conv


class Command:
    def __init__(self, path, options, positionals=(), description=""):
        self.path = path  # e.g. "neo4j-admin database backup"
        self.options = {o.name: o for o in options}
        self.positionals = list(positionals)
        self.description = description

    def usage(self):
        parts = ["Usage: " + self.path, "[-h]"]
        for o in self.options.values():
            s = o.synopsis()
            parts.append(s if o.required else "[" + s + "]")
        for p in self.positionals:
            s = p.label + ("..." if p.max is None or p.max > 1 else "")
            parts.append(s if p.min > 0 else "[" + s + "]")
        return " ".join(parts)

    def help_text(self):
        lines = [self.usage(), ""]
        if self.description:
            lines += [self.description, ""]
        lines.append("Options:")
        lines.append("  -h, --help    Show this help message and exit.")
        for o in self.options.values():
            extra = ""
            if o.default is not None:
                extra = "  Default: %s" % o.default
            lines.append("      %s%s" % (o.synopsis(), extra))
        return "\n".join(lines) + "\n"

    def parse(self, args, base_index=0):
        """Parse args (the words after the command name). base_index is the
        position of args[0] in the full command line, for picocli's
        'Unmatched argument at index N' messages. Returns (values, positionals)
        where values maps option name -> converted value (absent if not
        given); raises UsageError / HelpRequested."""
        values = {}
        seen = set()
        unknown = []
        positionals = []  # (index, word)
        end_of_options = False
        i = 0
        n = len(args)

        def looks_like_option(word):
            name = word.split("=", 1)[0]
            return name in self.options or name in ("-h", "--help")

        while i < n:
            word = args[i]
            if not end_of_options and word == "--":
                end_of_options = True
                i += 1
                continue
            if end_of_options or not word.startswith("-") or word == "-":
                positionals.append((base_index + i, word))
                i += 1
                continue
            name, eq, attached = word.partition("=")
            if name in ("-h", "--help") and not eq:
                raise HelpRequested()
            opt = self.options.get(name)
            if opt is None:
                unknown.append(word)
                i += 1
                continue
            if name in seen and opt.kind != "list":
                if opt.kind in ("flag", "bool01"):
                    raise UsageError("option '%s' should be specified only once" % name)
                raise UsageError("option '%s' (%s) should be specified only once" % (name, opt.label))
            seen.add(name)
            if opt.kind == "flag":
                if eq:
                    raise UsageError("option '%s' should be specified without '%s' parameter" % (name, attached))
                values[name] = True
                i += 1
                continue
            if opt.kind == "bool01":
                if eq:
                    values[name] = opt.convert(attached)
                    i += 1
                elif i + 1 < n and args[i + 1].lower() in ("true", "false"):
                    values[name] = opt.convert(args[i + 1])
                    i += 2
                else:
                    values[name] = True  # fallbackValue = "true"
                    i += 1
                continue
            # value, list, bool1: a parameter is required
            if eq:
                raw = attached
                i += 1
            else:
                if i + 1 >= n:
                    raise UsageError("Missing required parameter for option '%s' (%s)" % (name, opt.label))
                raw = args[i + 1]
                if raw.startswith("-") and looks_like_option(raw):
                    raise UsageError("Expected parameter for option '%s' but found '%s'" % (name, raw))
                i += 2
            if opt.kind == "list":
                parts = raw.split(",")
                converted = [opt.convert(p) for p in parts]
                values.setdefault(name, []).extend(converted)
            else:
                values[name] = opt.convert(raw)

        if unknown:
            if len(unknown) == 1:
                raise UsageError("Unknown option: '%s'" % unknown[0])
            raise UsageError("Unknown options: " + ", ".join("'%s'" % u for u in unknown))

        missing = [o for o in self.options.values() if o.required and o.name not in values]
        if missing:
            if len(missing) == 1:
                raise UsageError("Missing required option: '%s=%s'" % (missing[0].name, missing[0].label))
            raise UsageError("Missing required options: " +
                             ", ".join("'%s=%s'" % (o.name, o.label) for o in missing))

        # distribute the positionals over the positional specs
        result = {}
        rest = list(positionals)
        for spec in self.positionals:
            take = len(rest) if spec.max is None else min(spec.max, len(rest))
            if take < spec.min:
                raise UsageError("Missing required parameter: '%s'" % spec.label)
            got = rest[:take]
            rest = rest[take:]
            conv = []
            for _, w in got:
                if spec.conv is not None:
                    try:
                        conv.append(spec.conv(w))
                    except ValueError as e:
                        raise UsageError("Invalid value for positional parameter at index %d (%s): %s"
                                         % (self.positionals.index(spec), spec.label, e))
                else:
                    conv.append(w)
            result[spec.name] = conv
        if rest:
            if len(rest) == 1:
                raise UsageError("Unmatched argument at index %d: '%s'" % rest[0])
            raise UsageError("Unmatched arguments from index %d: %s"
                             % (rest[0][0], ", ".join("'%s'" % w for _, w in rest)))
        return values, result
