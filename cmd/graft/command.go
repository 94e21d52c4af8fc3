package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Exit codes of the graft command.
const (
	exitOK      = 0 // success
	exitFailure = 1 // runtime failure: missing or corrupt file, failed download, ...
	exitUsage   = 2 // usage error: unknown command, bad flags or arguments
)

// exitCodesHelp is the exit-code table every help text ends with.
const exitCodesHelp = `Exit codes:
  0  success
  1  runtime failure (missing or corrupt file, failed download, ...)
  2  usage error (unknown command, bad flags or arguments)
`

// command is one subcommand of graft. A file adds its subcommand with
// register in an init function:
//
//	func init() {
//		register(&command{name: "train", summary: "train a classifier on a pretrained base", run: runTrain})
//	}
//
// run gets the arguments after the subcommand's name. It parses its flags
// with e.flags and e.parse, which handle --help (exit 0) and flag errors
// (exit 2); it returns usagef(...) for any other usage error (exit 2), and
// any other error for a runtime failure (exit 1), printed as "graft: ...".
type command struct {
	name    string
	summary string // one line for `graft --help`
	run     func(e *env, args []string) error
}

// commands holds the registered subcommands by name.
var commands = map[string]*command{}

// commandOrder is the order `graft --help` lists the subcommands in;
// others follow alphabetically.
var commandOrder = []string{"models", "inspect", "predict", "train", "eval", "lr-find", "demo"}

// register adds a subcommand; it panics on a duplicate name, a programming
// error found by any test run.
func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("graft: command " + c.name + " registered twice")
	}
	commands[c.name] = c
}

// env is what a subcommand runs with.
type env struct {
	ctx            context.Context
	stdout, stderr io.Writer
}

// baseContext is the context subcommands run under; main cancels it on
// Ctrl-C.
var baseContext = context.Background()

// usageError is a usage mistake: exit code 2, with a pointer to --help.
type usageError struct {
	cmd string // the subcommand whose --help to point at ("" for graft's)
	msg string
}

func (u *usageError) Error() string { return u.msg }

// usagef returns a usage error of subcommand cmd.
func usagef(cmd, format string, args ...any) error {
	return &usageError{cmd: cmd, msg: fmt.Sprintf(format, args...)}
}

// errHelpShown says --help was asked for and printed: exit 0.
var errHelpShown = errors.New("help shown")

// helpedFlagSet is a flag set with the help text shown by --help.
type helpedFlagSet struct {
	*flag.FlagSet
	cmd  string
	help string
}

// flags returns a flag set for subcommand cmd ("models pull"); help is the
// text --help shows before the flags: a usage line, what the command does
// and an example.
func (e *env) flags(cmd, help string) *helpedFlagSet {
	fs := flag.NewFlagSet("graft "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &helpedFlagSet{FlagSet: fs, cmd: cmd, help: help}
}

// writeHelp prints the full help of a subcommand.
func (fs *helpedFlagSet) writeHelp(w io.Writer) {
	io.WriteString(w, strings.TrimRight(fs.help, "\n")+"\n")
	var any bool
	fs.VisitAll(func(*flag.Flag) { any = true })
	if any {
		io.WriteString(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	io.WriteString(w, "\n"+exitCodesHelp)
}

// parse parses args, allowing flags before, between and after the
// positional arguments ("--" ends the flags), and returns the positional
// ones. --help prints the help to stdout and returns errHelpShown.
func (e *env) parse(fs *helpedFlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.writeHelp(e.stdout)
				return nil, errHelpShown
			}
			return nil, usagef(fs.cmd, "%s", err)
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil // Parse consumed "--"
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// run runs the graft command line args (without the program name), writing
// to stdout and stderr, and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	e := &env{ctx: baseContext, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		writeMainHelp(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if name == "help" && len(args) > 1 {
			return run([]string{args[1], "--help"}, stdout, stderr)
		}
		writeMainHelp(stdout)
		return exitOK
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "graft: unknown command %q\nRun 'graft --help' for the list of commands.\n", name)
		return exitUsage
	}
	return report(e, c.run(e, args[1:]))
}

// report prints err and returns the exit code it means.
func report(e *env, err error) int {
	var u *usageError
	switch {
	case err == nil, errors.Is(err, errHelpShown):
		return exitOK
	case errors.As(err, &u):
		fmt.Fprintf(e.stderr, "graft: %s\n", u.msg)
		cmd := "graft"
		if u.cmd != "" {
			cmd += " " + u.cmd
		}
		fmt.Fprintf(e.stderr, "Run '%s --help' for usage.\n", cmd)
		return exitUsage
	}
	fmt.Fprintf(e.stderr, "graft: %s\n", err)
	return exitFailure
}

// writeMainHelp lists the subcommands.
func writeMainHelp(w io.Writer) {
	io.WriteString(w, `graft: transfer learning with convolutional networks

Usage:
  graft COMMAND [flags] [arguments]
  graft COMMAND --help      show a command's flags and examples

Commands:
`)
	for _, name := range orderedCommands() {
		fmt.Fprintf(w, "  %-10s %s\n", name, commands[name].summary)
	}
	io.WriteString(w, `
Models are given as a file (Graft .graft, ONNX, TFLite, TF.js model.json or
its folder, Keras .h5/.keras, PyTorch .pth/.pt or safetensors with --arch) or
as a zoo name whose weights 'graft models pull' downloaded.

Environment:
  GRAFT_CACHE           folder of downloaded weights (default: the user cache
                        folder's graft/models)
  GRAFT_WEIGHTS_MIRROR  base URL to download weight files from instead of
                        their publishers' (base + "/" + file name)

`)
	io.WriteString(w, exitCodesHelp)
}

// orderedCommands returns the registered names in help order.
func orderedCommands() []string {
	var names []string
	for _, n := range commandOrder {
		if _, ok := commands[n]; ok {
			names = append(names, n)
		}
	}
	var rest []string
	for n := range commands {
		if !slices.Contains(commandOrder, n) {
			rest = append(rest, n)
		}
	}
	slices.Sort(rest)
	return append(names, rest...)
}
