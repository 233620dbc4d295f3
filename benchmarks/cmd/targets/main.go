// Command targets reads the benchmark results of one run (the library's
// and this module's) and prints, as a Markdown table, each performance
// target of sessionstore with the medians it compares, the ratio and
// whether it is met.
//
// Usage:
//
//	go run ./cmd/targets FILE...
//
// A target whose benchmarks are missing from the files is reported as not
// measured. It exits 0 whatever the verdicts: it reports, it does not gate.
package main

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// results maps a benchmark name (without "Benchmark" and the GOMAXPROCS
// suffix) and a unit to every value read.
type results map[string]map[string][]float64

var procsSuffix = regexp.MustCompile(`-\d+$`)

func read(files []string) (results, error) {
	res := results{}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		r := benchfmt.NewReader(f, name)
		for r.Scan() {
			rec, ok := r.Result().(*benchfmt.Result)
			if !ok {
				continue
			}
			bench := procsSuffix.ReplaceAllString(rec.Name.String(), "")
			if res[bench] == nil {
				res[bench] = map[string][]float64{}
			}
			for _, v := range rec.Values {
				unit, val := v.Unit, v.Value
				if v.OrigUnit != "" {
					unit, val = v.OrigUnit, v.OrigValue
				}
				res[bench][unit] = append(res[bench][unit], val)
			}
		}
		err = r.Err()
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}

// median returns the median of name's unit, and whether there is one.
func (r results) median(name, unit string) (float64, bool) {
	vs := r[name][unit]
	if len(vs) == 0 {
		return 0, false
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return (s[n/2-1] + s[n/2]) / 2, true
}

// max returns the largest value of name's unit.
func (r results) max(name, unit string) (float64, bool) {
	vs := r[name][unit]
	if len(vs) == 0 {
		return 0, false
	}
	return slices.Max(vs), true
}

// sizes returns the sizes measured for a benchmark, smallest first, from
// the names prefix + "/size=N" + suffix.
func (r results) sizes(prefix, suffix string) []string {
	var out []string
	for name := range r {
		rest, ok := strings.CutPrefix(name, prefix+"/size=")
		if !ok {
			continue
		}
		if rest, ok = strings.CutSuffix(rest, suffix); ok && !strings.Contains(rest, "/") {
			out = append(out, rest)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return sizeN(a) - sizeN(b) })
	return out
}

func sizeN(s string) int {
	n := 0
	i := 0
	for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
	}
	switch s[i:] {
	case "k":
		n *= 1_000
	case "M":
		n *= 1_000_000
	}
	return n
}

// row is one line of the table.
type row struct {
	target, measured, bound, verdict string
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

func dur(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: targets FILE...")
		os.Exit(2)
	}
	r, err := read(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "targets:", err)
		os.Exit(1)
	}
	write(os.Stdout, r)
}

func write(w io.Writer, r results) {
	var rows []row
	missing := func(target, what string) {
		rows = append(rows, row{target, "not measured (" + what + ")", "", "n/a"})
	}
	// ratio compares the medians of two benchmarks in one unit.
	ratio := func(target, a, b, unit, bound string, ok func(float64) bool, show func(float64) string) {
		va, okA := r.median(a, unit)
		vb, okB := r.median(b, unit)
		if !okA || !okB {
			missing(target, a+" or "+b)
			return
		}
		x := va / vb
		rows = append(rows, row{target, fmt.Sprintf("%s / %s = **%.2f×**", show(va), show(vb), x), bound, verdict(ok(x))})
	}
	ns := func(v float64) string { return dur(v) }
	bytes := func(v float64) string { return fmt.Sprintf("%.0f B", v) }

	lookup := func(impl, size string) string { return "Lookup/impl=" + impl + "/size=" + size + "/run=serial" }
	parallel := func(impl, size string) string { return "Lookup/impl=" + impl + "/size=" + size + "/run=parallel" }
	for _, size := range r.sizes("Lookup/impl=memory", "/run=serial") {
		ratio("memory Lookup hit ≤ 1.3× floor-copy (SHA-256 + map read + one allocation and copy of the record's bytes), size="+size,
			lookup("memory", size), lookup("floor-copy", size), "ns/op", "≤ 1.3×",
			func(x float64) bool { return x <= 1.3 }, ns)
	}
	for _, size := range r.sizes("Lookup/impl=redis", "/run=serial") {
		ratio("Redis Lookup hit ≤ 1.2× raw HGET of the record on the same client, size="+size,
			lookup("redis", size), lookup("redis-raw-hget", size), "ns/op", "≤ 1.2×",
			func(x float64) bool { return x <= 1.2 }, ns)
	}
	for _, size := range r.sizes("Get/impl=redis-get", "/run=serial") {
		ratio("Redis Get by ID ≤ 1.3× raw GET of the ID key on the same client, size="+size,
			"Get/impl=redis-get/size="+size+"/run=serial", "Get/impl=redis-raw-get/size="+size+"/run=serial", "ns/op", "≤ 1.3×",
			func(x float64) bool { return x <= 1.3 }, ns)
	}
	for _, size := range r.sizes("Lookup/impl=memory", "/run=serial") {
		ratio("memory Lookup hit faster than scs memstore Find + JSON decode, size="+size,
			lookup("memory", size), lookup("scs-memstore-find-decode", size), "ns/op", "< 1×",
			func(x float64) bool { return x < 1 }, ns)
	}
	for _, size := range r.sizes("Memory/LookupHit", "") {
		name := "Memory/LookupHit/size=" + size
		t, okT := r.median(name, "transient-allocs/op")
		a, okA := r.median(name, "allocs/op")
		ret, _ := r.median(name, "retained-allocs/op")
		target := "memory Lookup: ≤ 2 allocations besides the returned session, size=" + size
		if !okT || !okA {
			missing(target, name)
			continue
		}
		rows = append(rows, row{target,
			fmt.Sprintf("%.0f allocs/op, of which %.2f make up the returned session: **%.2f** besides", a, ret, t),
			"≤ 2", verdict(t <= 2)})
	}
	for _, size := range r.sizes("Lookup/impl=badger", "/run=serial") {
		ratio("Badger Lookup hit ≤ 1.3× raw Badger Get (+ValueCopy) of the same record bytes, size="+size,
			lookup("badger", size), lookup("badger-raw-get", size), "ns/op", "≤ 1.3×",
			func(x float64) bool { return x <= 1.3 }, ns)
	}
	pgSizes := r.sizes("PostgresLookup", "/impl=store")
	if len(pgSizes) == 0 {
		missing("Postgres Lookup hit ≤ 1.3× raw pgx SELECT of the record by token hash on the same pool",
			"PostgresLookup: SESSIONSTORE_POSTGRES_URL was not set")
	}
	for _, size := range pgSizes {
		ratio("Postgres Lookup hit ≤ 1.3× raw pgx SELECT of the record by token hash on the same pool, size="+size,
			"PostgresLookup/size="+size+"/impl=store", "PostgresLookup/size="+size+"/impl=raw-select", "ns/op", "≤ 1.3×",
			func(x float64) bool { return x <= 1.3 }, ns)
		// The same, measured interleaved (one of each per operation), so
		// that a busy machine's load falls on both alike.
		name := "PostgresLookup/size=" + size + "/impl=paired"
		target := "Postgres Lookup hit ≤ 1.3× that SELECT, interleaved (impl=paired), size=" + size
		x, okX := r.median(name, "store/floor")
		st, okS := r.median(name, "store-ns/op")
		fl, okF := r.median(name, "floor-ns/op")
		if !okX || !okS || !okF {
			missing(target, name)
			continue
		}
		rows = append(rows, row{target,
			fmt.Sprintf("%s / %s per pair; median of the per-run ratios **%.2f×**", ns(st), ns(fl), x),
			"≤ 1.3×", verdict(x <= 1.3)})
	}
	for _, size := range r.sizes("Create/impl=badger", "") {
		ratio("Badger Create (no sync) ≤ 1.5× raw Badger Set of record + index keys, size="+size,
			"Create/impl=badger/size="+size, "Create/impl=badger-raw-set/size="+size, "ns/op", "≤ 1.5×",
			func(x float64) bool { return x <= 1.5 }, ns)
	}
	{
		target := "Badger: Creates for one customer from 4×GOMAXPROCS goroutines retry no transaction and take no longer per Create than from one"
		ser, ok1 := r.median("CreateOneCustomer/run=serial", "ns/op")
		par, ok2 := r.median("CreateOneCustomer/run=parallel", "ns/op")
		retries, ok3 := r.max("CreateOneCustomer/run=parallel", "retries/op")
		if !ok1 || !ok2 || !ok3 {
			missing(target, "CreateOneCustomer")
		} else {
			rows = append(rows, row{target,
				fmt.Sprintf("%s per Create alone, %s in parallel (**%.2f×** the rate); retries/op at most **%.4f**", dur(ser), dur(par), ser/par, retries),
				"0 retries, ≥ 1×", verdict(retries == 0 && ser/par >= 1)})
		}
	}
	for _, be := range []string{"badger", "redis"} {
		for _, size := range r.sizes("GroupEdit/impl="+be+"-update-customer", "") {
			edit := func(impl string) string { return "GroupEdit/impl=" + be + "-" + impl + "/size=" + size }
			ratio(title(be)+" UpdateCustomer ≤ 3× raw rewrite of its 50 records, size="+size,
				edit("update-customer"), edit("raw-rewrite"), "ns/op", "≤ 3×",
				func(x float64) bool { return x <= 3 }, ns)
			ratio(title(be)+" RevokeCustomer ≤ 3× raw delete of its 50 records and their index keys, size="+size,
				edit("revoke-customer"), edit("raw-delete"), "ns/op", "≤ 3×",
				func(x float64) bool { return x <= 3 }, ns)
		}
	}
	// trips reports an operation's Redis round trips, counted by a client
	// hook and averaged over the operations of each run: a one-time cost (a
	// script's first load) adds a fraction.
	trips := func(target, name string) {
		v, ok := r.median(name, "round-trips/op")
		if !ok {
			missing(target, name)
			return
		}
		rows = append(rows, row{target, fmt.Sprintf("**%.2f** round trips/op", v), "≤ 1 (≤ 1.05 averaged)", verdict(v <= 1.05)})
	}
	for _, size := range r.sizes("Create/impl=redis", "") {
		trips("Redis Create: ≤ 1 round trip, size="+size, "Create/impl=redis/size="+size)
	}
	for _, size := range r.sizes("GroupEdit/impl=redis-revoke-member", "") {
		trips("Redis RevokeMember: ≤ 1 round trip, size="+size, "GroupEdit/impl=redis-revoke-member/size="+size)
	}
	for _, size := range r.sizes("Heap/impl=memory", "") {
		ratio("memory heap per session ≤ 0.75× scs memstore's (session JSON under its token), size="+size,
			"Heap/impl=memory/size="+size, "Heap/impl=scs-memstore/size="+size, "heap-B/session", "≤ 0.75×",
			func(x float64) bool { return x <= 0.75 }, bytes)
	}
	for _, be := range []struct {
		name  string
		bound float64 // longest lookup, µs
		p999  float64 // 99.9th percentile, µs
	}{{"memory", 5000, 1000}, {"badger", 20000, 2000}, {"redis", 5000, 1000}} {
		sizes := r.sizes("SweepLatency/"+be.name, "")
		if len(sizes) == 0 {
			if be.name != "redis" {
				missing("purge of 10% expired: concurrent "+be.name+" lookups", "SweepLatency/"+be.name)
			}
			continue
		}
		size := sizes[len(sizes)-1]
		name := "SweepLatency/" + be.name + "/size=" + size
		target := fmt.Sprintf("%s: purging %s expired of %s, no concurrent lookup waits > %.0f ms and p99.9 ≤ %.0f ms", be.name, tenth(size), size, be.bound/1000, be.p999/1000)
		med, _ := r.median(name, "max-lookup-us")
		worst, _ := r.max(name, "max-lookup-us")
		p999, _ := r.median(name, "p999-lookup-us")
		purge, _ := r.median(name, "ns/op")
		rate := ""
		if purge > 0 {
			rate = fmt.Sprintf(", %.0f sessions/s", float64(sizeN(tenth(size)))/(purge/1e9))
		}
		rows = append(rows, row{target,
			fmt.Sprintf("longest lookup: median over runs %.0f µs, worst run **%.0f µs**; p99.9 **%.0f µs** (purge took %s%s)", med, worst, p999, dur(purge), rate),
			fmt.Sprintf("≤ %.0f µs, p99.9 ≤ %.0f µs", be.bound, be.p999), verdict(worst <= be.bound && p999 <= be.p999)})
	}
	for _, impl := range []string{"memory", "badger"} {
		for _, size := range r.sizes("Lookup/impl="+impl, "/run=parallel") {
			one, ok1 := r.median(lookup(impl, size), "ns/op")
			par, ok2 := r.median(parallel(impl, size), "ns/op")
			target := impl + " parallel lookups on 2 cores: speed-up over one goroutine, size=" + size
			if !ok1 || !ok2 {
				missing(target, "Lookup run=serial or run=parallel")
				continue
			}
			x := one / par
			bound, want := "≥ 1.7×", 1.7
			if impl == "badger" {
				// Badger's target is what raw Gets on the same DB reach.
				rawOne, ok1 := r.median(lookup("badger-raw-get", size), "ns/op")
				rawPar, ok2 := r.median(parallel("badger-raw-get", size), "ns/op")
				if ok1 && ok2 {
					want = rawOne / rawPar
					bound = fmt.Sprintf("≥ %.2f× (raw Get's)", want)
				}
			}
			rows = append(rows, row{target,
				fmt.Sprintf("%s per lookup alone, %s per lookup in parallel: **%.2f×**", dur(one), dur(par), x),
				bound, verdict(x >= want)})
		}
	}

	httpRows(r, func(x row) { rows = append(rows, x) }, missing)

	fmt.Fprintln(w, "| Target | Measured (medians) | Bound | Result |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, x := range rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", x.target, x.measured, x.bound, x.verdict)
	}
}

// title is a backend's name as a table writes it.
func title(be string) string { return strings.ToUpper(be[:1]) + be[1:] }

// tenth names a tenth of a size ("1M" → "100k").
func tenth(size string) string {
	n := sizeN(size) / 10
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1_000 && n%1_000 == 0:
		return fmt.Sprintf("%dk", n/1_000)
	}
	return fmt.Sprint(n)
}

// httpRows adds the targets of BenchmarkHTTP, an authenticated GET through
// sessionhttp's Required with the session in a cookie, for each size and
// run (serial, parallel) measured: on memory at most 1.25× a bare Lookup
// plus the bare handler and at most 4 allocations more than the two, and
// at most 0.25× scs's request on its memstore; on Badger, Redis and
// Postgres at most 1.2× their own bare Lookup plus the bare handler. The
// bare handler is measured once, beside the memory store, for all.
func httpRows(r results, add func(row), missing func(target, what string)) {
	name := func(impl, size, run string) string {
		return "HTTP/impl=" + impl + "/size=" + size + "/run=" + run
	}
	// overhead compares a request with its store's Lookup plus the handler.
	overhead := func(be, size, run string, bound float64) {
		target := fmt.Sprintf("%s: authenticated request (Required, cookie) ≤ %.2f× its Lookup + the bare handler, size=%s, run=%s", be, bound, size, run)
		req, ok1 := r.median(name(be, size, run), "ns/op")
		look, ok2 := r.median(name(be+"-lookup", size, run), "ns/op")
		h, ok3 := r.median(name("handler", size, run), "ns/op")
		if !ok1 || !ok2 || !ok3 {
			missing(target, "HTTP/impl="+be+", "+be+"-lookup or handler")
			return
		}
		x := req / (look + h)
		add(row{target, fmt.Sprintf("%s / (%s + %s) = **%.2f×**", dur(req), dur(look), dur(h), x),
			fmt.Sprintf("≤ %.2f×", bound), verdict(x <= bound)})

		// The same, the three timed within each operation (BACKEND-paired),
		// so that a busy machine's load falls on them alike.
		paired := name(be+"-paired", size, run)
		target = fmt.Sprintf("%s: the same, interleaved (impl=%s-paired), size=%s, run=%s", be, be, size, run)
		x, ok1 = r.median(paired, "request/(lookup+handler)")
		req, ok2 = r.median(paired, "request-ns/op")
		look, ok3 = r.median(paired, "lookup-ns/op")
		h, ok4 := r.median(paired, "handler-ns/op")
		if !ok1 || !ok2 || !ok3 || !ok4 {
			missing(target, "HTTP/impl="+be+"-paired")
			return
		}
		add(row{target, fmt.Sprintf("%s / (%s + %s) per operation; median of the per-run ratios **%.2f×**", dur(req), dur(look), dur(h), x),
			fmt.Sprintf("≤ %.2f×", bound), verdict(x <= bound)})
	}
	for _, run := range []string{"serial", "parallel"} {
		sizes := r.sizes("HTTP/impl=memory", "/run="+run)
		if len(sizes) == 0 && run == "serial" {
			missing("memory: authenticated request ≤ 1.25× its Lookup + the bare handler", "BenchmarkHTTP")
		}
		for _, size := range sizes {
			overhead("memory", size, run, 1.25)
			target := "memory: authenticated request ≤ 4 allocations more than its Lookup + the bare handler, size=" + size + ", run=" + run
			req, ok1 := r.median(name("memory", size, run), "allocs/op")
			look, ok2 := r.median(name("memory-lookup", size, run), "allocs/op")
			h, ok3 := r.median(name("handler", size, run), "allocs/op")
			if !ok1 || !ok2 || !ok3 {
				missing(target, "HTTP/impl=memory, memory-lookup or handler with -benchmem")
			} else {
				add(row{target, fmt.Sprintf("%.0f allocs/op against %.0f + %.0f: **%+.0f**", req, look, h, req-look-h),
					"≤ +4", verdict(req-look-h <= 4)})
			}
			target = "memory: authenticated request ≤ 0.25× scs's (LoadAndSave on its memstore, the handler writing the session's bytes), size=" + size + ", run=" + run
			req, ok1 = r.median(name("memory", size, run), "ns/op")
			scs, ok2 := r.median(name("scs-memstore", size, run), "ns/op")
			if !ok1 || !ok2 {
				missing(target, "HTTP/impl=memory or scs-memstore")
			} else {
				add(row{target, fmt.Sprintf("%s / %s = **%.2f×**", dur(req), dur(scs), req/scs), "≤ 0.25×", verdict(req/scs <= 0.25)})
			}
		}
		for _, be := range []string{"badger", "redis", "postgres"} {
			for _, size := range r.sizes("HTTP/impl="+be, "/run="+run) {
				overhead(be, size, run, 1.2)
			}
		}
	}
}
