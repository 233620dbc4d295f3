package sessionhttp_test

import (
	"strings"
	"testing"

	"github.com/memberkit/sessionstore/sessionhttp"
)

func TestDeviceLabel(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36":                      "Chrome on Android",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15":                      "Safari on macOS",
		"Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0 Mobile/15E148 Safari/604.1":              "Chrome on iPad",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36":                              "Chrome on Linux",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0":              "Opera on Windows",
		"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36": "Samsung Internet on Android",
		"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36":                             "Chrome on ChromeOS",
		"curl/8.5.0":                      "curl",
		"Mozilla/5.0 (X11; Linux x86_64)": "Browser on Linux",
		"":                                "Unknown device",
	} {
		if got := sessionhttp.DeviceLabel(ua); got != want {
			t.Errorf("DeviceLabel(%.40q) = %q, want %q", ua, got, want)
		}
	}
}

// FuzzDeviceLabel: whatever the header, the label is short, printable and
// made of the fixed vocabulary, never of the header's own text.
func FuzzDeviceLabel(f *testing.F) {
	f.Add("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Version/18.1 Safari/604.1")
	f.Add("Firefox/ <b>Windows</b>")
	f.Add("\x00\xff")
	words := map[string]bool{}
	for _, w := range strings.Fields("Edge Opera Samsung Internet Firefox Chrome Chromium Safari curl on Browser Unknown device iPhone iPad iPod Android ChromeOS Windows macOS Linux") {
		words[w] = true
	}
	f.Fuzz(func(t *testing.T, ua string) {
		label := sessionhttp.DeviceLabel(ua)
		if label == "" || len(label) > 40 {
			t.Fatalf("label %q", label)
		}
		for _, w := range strings.Fields(label) {
			if !words[w] {
				t.Fatalf("label %q has %q, not from the vocabulary", label, w)
			}
		}
	})
}
