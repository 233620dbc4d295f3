package sessionhttp

import "strings"

// DeviceLabel returns a short label for the device a User-Agent header
// describes, such as "Chrome on Android" or "Safari on iPhone", for a
// "your sessions" page. It is built from a fixed vocabulary and never
// echoes the header: "Firefox" when the system is unknown, "Browser on
// Linux" when the browser is, and "Unknown device" when both are.
func DeviceLabel(userAgent string) string {
	browser, system := browserOf(userAgent), systemOf(userAgent)
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return "Browser on " + system
	default:
		return "Unknown device"
	}
}

// browserOf names the browser; the order matters, since most browsers also
// claim to be Safari, and Chromium-based ones to be Chrome.
func browserOf(ua string) string {
	for _, b := range []struct{ marker, name string }{
		{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"},
		{"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
		{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
		{"CriOS/", "Chrome"}, {"HeadlessChrome/", "Chrome"}, {"Chrome/", "Chrome"}, {"Chromium/", "Chromium"},
		{"Version/", "Safari"},
		{"curl/", "curl"},
	} {
		if strings.Contains(ua, b.marker) {
			if b.name == "Safari" && !strings.Contains(ua, "Safari/") {
				continue
			}
			return b.name
		}
	}
	return ""
}

// systemOf names the operating system, or the kind of Apple device.
func systemOf(ua string) string {
	for _, s := range []struct{ marker, name string }{
		{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"iPod", "iPod"},
		{"Android", "Android"}, {"CrOS", "ChromeOS"},
		{"Windows", "Windows"}, {"Macintosh", "macOS"}, {"Mac OS X", "macOS"},
		{"Linux", "Linux"},
	} {
		if strings.Contains(ua, s.marker) {
			return s.name
		}
	}
	return ""
}
