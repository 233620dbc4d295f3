package main

import (
	"strings"
	"testing"
)

const stream = `{"Action":"start","Package":"example/a"}
{"Action":"run","Package":"example/a","Test":"TestOK"}
{"Action":"output","Package":"example/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"pass","Package":"example/a","Test":"TestOK","Elapsed":0}
{"Action":"run","Package":"example/a","Test":"TestRedis"}
{"Action":"output","Package":"example/a","Test":"TestRedis","Output":"=== RUN   TestRedis\n"}
{"Action":"output","Package":"example/a","Test":"TestRedis","Output":"    redis_test.go:12: no Redis: set SESSIONSTORE_REDIS_ADDR\n"}
{"Action":"output","Package":"example/a","Test":"TestRedis","Output":"--- SKIP: TestRedis (0.00s)\n"}
{"Action":"skip","Package":"example/a","Test":"TestRedis","Elapsed":0}
{"Action":"run","Package":"example/a","Test":"TestRedis2"}
{"Action":"output","Package":"example/a","Test":"TestRedis2","Output":"    redis_test.go:12: no Redis: set SESSIONSTORE_REDIS_ADDR\n"}
{"Action":"skip","Package":"example/a","Test":"TestRedis2","Elapsed":0}
{"Action":"output","Package":"example/a","Output":"PASS\n"}
{"Action":"pass","Package":"example/a","Elapsed":0.5}
`

func TestSummarizePassAndSkips(t *testing.T) {
	var out strings.Builder
	failed, err := summarize(strings.NewReader(stream), &out)
	if err != nil || failed {
		t.Fatalf("summarize = %v, %v; want no failure", failed, err)
	}
	got := out.String()
	for _, want := range []string{
		"ok  \texample/a\t0.500s\n",
		"skipped tests: 2\n",
		"  2: no Redis: set SESSIONSTORE_REDIS_ADDR\n",
		"      example/a TestRedis\n",
		"      example/a TestRedis2\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "=== RUN") {
		t.Errorf("a passing package's output was printed:\n%s", got)
	}
}

func TestSummarizeFailure(t *testing.T) {
	in := `{"Action":"output","Package":"example/b","Test":"TestX","Output":"    x_test.go:3: boom\n"}
{"Action":"fail","Package":"example/b","Test":"TestX","Elapsed":0}
{"Action":"output","Package":"example/b","Output":"FAIL\n"}
{"Action":"fail","Package":"example/b","Elapsed":0.1}
`
	var out strings.Builder
	failed, err := summarize(strings.NewReader(in), &out)
	if err != nil || !failed {
		t.Fatalf("summarize = %v, %v; want a failure", failed, err)
	}
	if got := out.String(); !strings.Contains(got, "x_test.go:3: boom") || !strings.Contains(got, "FAIL\texample/b") || !strings.Contains(got, "skipped tests: none") {
		t.Errorf("summary of a failure:\n%s", got)
	}
}

func TestSummarizeBuildFailure(t *testing.T) {
	in := `{"ImportPath":"example/c","Action":"build-output","Output":"c.go:1: syntax error\n"}
{"ImportPath":"example/c","Action":"build-fail"}
FAIL	example/c [build failed]
`
	var out strings.Builder
	failed, err := summarize(strings.NewReader(in), &out)
	if err != nil || !failed {
		t.Fatalf("summarize = %v, %v; want a failure", failed, err)
	}
	if got := out.String(); !strings.Contains(got, "c.go:1: syntax error") || !strings.Contains(got, "[build failed]") {
		t.Errorf("summary of a build failure:\n%s", got)
	}
}

func TestReasonWithoutLog(t *testing.T) {
	if got := reason([]string{"=== RUN   TestY\n", "--- SKIP: TestY (0.00s)\n"}); got != "(no reason given)" {
		t.Errorf("reason = %q", got)
	}
}
