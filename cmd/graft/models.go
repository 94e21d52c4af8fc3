package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/graft-ml/graft/modelio"
	"github.com/graft-ml/graft/zoo"
)

func init() {
	register(&command{name: "models", summary: "list the model zoo; 'models pull NAME' downloads pretrained weights", run: runModels})
}

const modelsHelp = `Usage:
  graft models [--cache DIR]
  graft models pull NAME [--source torchvision|keras] [--file FILE] [--cache DIR]

'graft models' lists the architectures of the zoo: name, family, default
input size, parameter count (with the 1000-class ImageNet classifier), the
official pretrained weights published for it and whether they are in the
cache already.

'graft models pull NAME' downloads NAME's official weights into the cache,
checking the digest the publisher gives; run 'graft models pull --help'.

Example:
  graft models
  graft models pull resnet50
`

func runModels(e *env, args []string) error {
	if len(args) > 0 && args[0] == "pull" {
		return runPull(e, args[1:])
	}
	fs := e.flags("models", modelsHelp)
	cache := fs.String("cache", "", "weights cache folder (default $GRAFT_CACHE or the user cache folder's graft/models)")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("models", "unexpected argument %q (did you mean 'graft models pull %s'?)", pos[0], pos[0])
	}
	dir, err := modelio.CacheDir(*cache)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tFAMILY\tINPUT\tPARAMS\tWEIGHTS\tCACHED")
	for _, s := range zoo.List() {
		fmt.Fprintf(tw, "%s\t%s\t%dx%d\t%s\t%s\t%s\n", s.Name, s.Family, s.DefaultSize, s.DefaultSize,
			humanCount(s.Params), weightSources(s), cachedSources(dir, s))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\ncache: %s\n", dir)
	return nil
}

// weightSources lists the publishers of a spec's weights, with counts.
func weightSources(s zoo.Spec) string {
	if len(s.Sources) == 0 {
		return "-"
	}
	var order []string
	count := map[string]int{}
	for _, src := range s.Sources {
		if count[src.Format] == 0 {
			order = append(order, src.Format)
		}
		count[src.Format]++
	}
	var parts []string
	for _, f := range order {
		if count[f] == 1 {
			parts = append(parts, f)
		} else {
			parts = append(parts, fmt.Sprintf("%s(%d)", f, count[f]))
		}
	}
	return strings.Join(parts, ", ")
}

// cachedSources names the cached weight files' publishers, or "no".
func cachedSources(dir string, s zoo.Spec) string {
	var got []string
	seen := map[string]bool{}
	for _, src := range s.Sources {
		if _, ok := modelio.CachedPath(dir, src); ok && !seen[src.Format] {
			seen[src.Format] = true
			got = append(got, src.Format)
		}
	}
	if len(got) == 0 {
		return "no"
	}
	return "yes (" + strings.Join(got, ", ") + ")"
}

// humanCount writes a parameter count as 25.6M or 830K.
func humanCount(n int) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.0fK", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

// chooseSource picks the weight file to pull; tests replace it to serve
// files whose digests they know.
var chooseSource = modelio.ChooseSource

const pullHelp = `Usage:
  graft models pull NAME [--source torchvision|keras] [--file FILE] [--cache DIR]

Downloads the official pretrained weights of the zoo model NAME into the
cache folder, where 'graft predict --model NAME' and the training commands
find them. The file is checked against the digest its publisher gives
(torchvision: the sha256 prefix in the file name; Keras: md5); a file that
fails the check is deleted. An interrupted download resumes where it stopped
when run again. Progress (bytes, rate, time left) goes to stderr.

The environment variable GRAFT_WEIGHTS_MIRROR, when set to a base URL, makes
the download come from that URL + "/" + the file name instead of the
publisher's address (for an offline mirror).

Example:
  graft models pull resnet50
  graft models pull mobilenet_v2 --source keras
  graft models pull resnet50 --file resnet50-11ad3fa6.pth
`

func runPull(e *env, args []string) error {
	fs := e.flags("models pull", pullHelp)
	source := fs.String("source", "", "publisher of the weights: torchvision or keras (default: the zoo's first)")
	file := fs.String("file", "", "one weight file by name, when several are published")
	cache := fs.String("cache", "", "weights cache folder (default $GRAFT_CACHE or the user cache folder's graft/models)")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return usagef("models pull", "name the model to download (see 'graft models')")
	case len(pos) > 1:
		return usagef("models pull", "one model at a time, got %d names", len(pos))
	}
	if _, ok := zoo.Lookup(pos[0]); !ok {
		return usagef("models pull", "unknown model %q (have %s)", pos[0], strings.Join(zoo.Names(), ", "))
	}
	if *source != "" && *source != "torchvision" && *source != "keras" {
		return usagef("models pull", "--source %q: want torchvision or keras", *source)
	}
	opts := modelio.PullOptions{Source: *source, File: *file, CacheDir: *cache, Client: httpClient}
	src, err := chooseSource(pos[0], opts)
	if err != nil {
		return err
	}
	bar := newProgressLine(e.stderr, src.File)
	opts.Progress = bar.update
	res, err := modelio.PullSource(e.ctx, src, opts)
	bar.finish()
	if err != nil {
		return err
	}
	switch {
	case res.Cached:
		fmt.Fprintf(e.stdout, "%s: already in the cache: %s\n", pos[0], res.Path)
	default:
		fmt.Fprintf(e.stdout, "%s: downloaded %s\n", pos[0], res.Path)
	}
	if res.Verified == "" {
		fmt.Fprintf(e.stderr, "graft: warning: %s publishes no digest for %s; the file is not verified\n", src.Format, src.File)
	} else {
		fmt.Fprintf(e.stdout, "verified: %s %s\n", res.Verified, src.Hash)
	}
	if src.Note != "" {
		fmt.Fprintf(e.stdout, "note: %s\n", src.Note)
	}
	return nil
}
