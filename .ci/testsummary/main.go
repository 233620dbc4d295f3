// Command testsummary reads the JSON stream of `go test -json` on standard
// input and prints what a plain `go test` prints (a line per package, the
// whole output of every failing package and every build error), followed by
// every skipped test with its reason, grouped by reason, so that a skip
// never passes unseen:
//
//	go test -race -json ./... | go run ./.ci/testsummary
//
// It exits 1 if a test or a build failed (or the stream could not be
// read), 0 otherwise; run it under `set -o pipefail` so that go test's own
// exit status counts too.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of test2json's output (see `go doc test2json`).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	Elapsed    float64
	ImportPath string
}

// skip is a skipped test and the reason it logged.
type skip struct{ pkg, test, reason string }

func main() {
	failed, err := summarize(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(1)
	}
	if failed {
		os.Exit(1)
	}
}

// summarize copies the summary of the stream in to out and reports whether
// anything failed.
func summarize(in io.Reader, out io.Writer) (failed bool, err error) {
	output := map[string][]string{} // package -> its output so far
	tests := map[string][]string{}  // package + "\x00" + test -> its output
	var skips []skip
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil {
			fmt.Fprintf(out, "%s\n", line) // go test's own messages are plain text
			continue
		}
		key := e.Package + "\x00" + e.Test
		switch e.Action {
		case "build-output":
			fmt.Fprint(out, e.Output)
		case "build-fail":
			failed = true
		case "output":
			output[e.Package] = append(output[e.Package], e.Output)
			if e.Test != "" {
				tests[key] = append(tests[key], e.Output)
			}
		case "skip":
			if e.Test != "" {
				skips = append(skips, skip{e.Package, e.Test, reason(tests[key])})
			}
			delete(tests, key)
		case "pass":
			delete(tests, key)
			if e.Test == "" {
				fmt.Fprintf(out, "ok  \t%s\t%.3fs\n", e.Package, e.Elapsed)
				delete(output, e.Package)
			}
		case "fail":
			failed = true
			delete(tests, key)
			if e.Test == "" {
				fmt.Fprint(out, strings.Join(output[e.Package], ""))
				fmt.Fprintf(out, "FAIL\t%s\t%.3fs\n", e.Package, e.Elapsed)
				delete(output, e.Package)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return true, err
	}
	report(out, skips)
	return failed, nil
}

// reason is the last line a skipped test logged before its "--- SKIP"
// line, without the file:line prefix: the argument of t.Skip.
func reason(lines []string) string {
	why := "(no reason given)"
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- ") {
			continue
		}
		if _, after, ok := strings.Cut(l, ".go:"); ok {
			if _, msg, ok := strings.Cut(after, ": "); ok {
				l = msg
			}
		}
		why = l
	}
	return why
}

// listed is how many tests report names per reason.
const listed = 5

// report prints the skipped tests grouped by reason, the largest group
// first, naming the first few of each.
func report(out io.Writer, skips []skip) {
	if len(skips) == 0 {
		fmt.Fprintln(out, "skipped tests: none")
		return
	}
	groups := map[string][]skip{}
	for _, s := range skips {
		groups[s.reason] = append(groups[s.reason], s)
	}
	reasons := make([]string, 0, len(groups))
	for r := range groups {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		a, b := groups[reasons[i]], groups[reasons[j]]
		if len(a) != len(b) {
			return len(a) > len(b)
		}
		return reasons[i] < reasons[j]
	})
	fmt.Fprintf(out, "skipped tests: %d\n", len(skips))
	for _, r := range reasons {
		g := groups[r]
		fmt.Fprintf(out, "  %d: %s\n", len(g), r)
		for i, s := range g {
			if i == listed {
				fmt.Fprintf(out, "      and %d more\n", len(g)-listed)
				break
			}
			fmt.Fprintf(out, "      %s %s\n", s.pkg, s.test)
		}
	}
}
