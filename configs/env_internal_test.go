package configs

import (
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"
)

// envTestConfig has a field of every kind the environment can set, and of
// kinds it cannot, as sections added later may.
type envTestConfig struct {
	Top     string        `yaml:"top"`
	Section envTestInner  `yaml:"section"`
	Inlined envTestInline `yaml:",inline"`
	Skipped string        `yaml:"-"`
	Token   Secret        `yaml:"-" env:"TEST_TOKEN"`
	Records []struct {
		A string `yaml:"a"`
	} `yaml:"records"`
}

type envTestInner struct {
	Enabled bool          `yaml:"enabled"`
	Ratio   float64       `yaml:"ratio"`
	Port    uint16        `yaml:"port"`
	Count   int8          `yaml:"count"`
	Wait    time.Duration `yaml:"wait"`
	Addr    netip.Addr    `yaml:"addr"`
	Tags    []string      `yaml:"tags"`
	Limits  map[string]int
	NoTag   string
}

type envTestInline struct {
	Flat string `yaml:"flat"`
}

func envTestKeys() []envKey {
	var keys []envKey
	collectEnvKeys(reflect.TypeFor[envTestConfig](), nil, nil, &keys)
	return keys
}

func TestCollectEnvKeys(t *testing.T) {
	var got []string
	for _, k := range envTestKeys() {
		got = append(got, k.name+"="+k.key)
	}

	want := []string{
		"WARROOM_TOP=top",
		"WARROOM_SECTION_ENABLED=section.enabled",
		"WARROOM_SECTION_RATIO=section.ratio",
		"WARROOM_SECTION_PORT=section.port",
		"WARROOM_SECTION_COUNT=section.count",
		"WARROOM_SECTION_WAIT=section.wait",
		"WARROOM_SECTION_ADDR=section.addr",
		"WARROOM_SECTION_TAGS=section.tags",
		"WARROOM_SECTION_NOTAG=section.notag",
		"WARROOM_FLAT=flat",
		"TEST_TOKEN=",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestSetFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		check   func(c *envTestConfig) (got, want any)
		problem string
	}{
		{"string", map[string]string{"WARROOM_TOP": "x"},
			func(c *envTestConfig) (any, any) { return c.Top, "x" }, ""},
		{"bool true", map[string]string{"WARROOM_SECTION_ENABLED": "true"},
			func(c *envTestConfig) (any, any) { return c.Section.Enabled, true }, ""},
		{"bool false", map[string]string{"WARROOM_SECTION_ENABLED": "false"},
			func(c *envTestConfig) (any, any) { return c.Section.Enabled, false }, ""},
		{"bad bool", map[string]string{"WARROOM_SECTION_ENABLED": "yes please"},
			func(c *envTestConfig) (any, any) { return c.Section.Enabled, true },
			`WARROOM_SECTION_ENABLED: "yes please" is not true or false`},
		{"float", map[string]string{"WARROOM_SECTION_RATIO": "0.25"},
			func(c *envTestConfig) (any, any) { return c.Section.Ratio, 0.25 }, ""},
		{"bad float", map[string]string{"WARROOM_SECTION_RATIO": "a"},
			func(c *envTestConfig) (any, any) { return c.Section.Ratio, 0.5 },
			`WARROOM_SECTION_RATIO: "a" is not a number`},
		{"uint", map[string]string{"WARROOM_SECTION_PORT": "8080"},
			func(c *envTestConfig) (any, any) { return c.Section.Port, uint16(8080) }, ""},
		{"uint overflow", map[string]string{"WARROOM_SECTION_PORT": "70000"},
			func(c *envTestConfig) (any, any) { return c.Section.Port, uint16(1) },
			`WARROOM_SECTION_PORT: "70000" is not a whole number of 0 or more`},
		{"int overflow", map[string]string{"WARROOM_SECTION_COUNT": "300"},
			func(c *envTestConfig) (any, any) { return c.Section.Count, int8(0) },
			`WARROOM_SECTION_COUNT: "300" is not a whole number`},
		{"duration", map[string]string{"WARROOM_SECTION_WAIT": "1m30s"},
			func(c *envTestConfig) (any, any) { return c.Section.Wait, 90 * time.Second }, ""},
		{"text", map[string]string{"WARROOM_SECTION_ADDR": "10.0.0.1"},
			func(c *envTestConfig) (any, any) {
				return c.Section.Addr, netip.MustParseAddr("10.0.0.1")
			}, ""},
		{"bad text", map[string]string{"WARROOM_SECTION_ADDR": "ten"},
			func(c *envTestConfig) (any, any) { return c.Section.Addr.IsValid(), false },
			`WARROOM_SECTION_ADDR: "ten" is not valid: ParseAddr("ten"): unable to parse ` +
				`IP`},
		{"list", map[string]string{"WARROOM_SECTION_TAGS": "a, b"},
			func(c *envTestConfig) (any, any) { return c.Section.Tags, []string{"a", "b"} },
			""},
		{"inline", map[string]string{"WARROOM_FLAT": "f"},
			func(c *envTestConfig) (any, any) { return c.Inlined.Flat, "f" }, ""},
		{"secret", map[string]string{"TEST_TOKEN": "t"},
			func(c *envTestConfig) (any, any) { return c.Token, Secret("t") }, ""},
		{"skipped field", map[string]string{"WARROOM_SKIPPED": "s"},
			func(c *envTestConfig) (any, any) { return c.Skipped, "" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &envTestConfig{Section: envTestInner{Enabled: true, Ratio: 0.5, Port: 1}}
			env := func(name string) string { return tt.env[name] }

			set, problems := setFromEnv(reflect.ValueOf(c).Elem(), envTestKeys(), env)

			if got, want := tt.check(c); !reflect.DeepEqual(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
			if tt.problem == "" {
				if len(problems) > 0 {
					t.Errorf("problems %q", problems)
				}
				return
			}
			if !slices.Equal(problems, []string{tt.problem}) {
				t.Errorf("problems %q, want %q", problems, tt.problem)
			}
			if len(set) > 0 {
				t.Errorf("a bad value was recorded as set: %v", set)
			}
		})
	}
}
