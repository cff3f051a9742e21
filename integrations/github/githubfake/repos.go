package githubfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// PullRequest is a pull request opened on the fake.
type PullRequest struct {
	Number int64
	Repo   string
	Head   string
	Base   string
	Title  string
	Body   string
	URL    string
}

// Issue is an issue opened on the fake.
type Issue struct {
	Number    int64
	Repo      string
	Title     string
	Body      string
	Assignees []string
	URL       string
}

// repoState is what the fake keeps of repositories: branches, files on
// them, pull requests and issues.
type repoState struct {
	branches map[string]string            // repo#branch -> sha
	files    map[string]map[string]string // repo#branch -> path -> content
	pulls    []PullRequest
	issues   []Issue
}

func (s *Server) repos() *repoState {
	if s.rs == nil {
		s.rs = &repoState{branches: map[string]string{}, files: map[string]map[string]string{}}
	}
	return s.rs
}

// routeRepos adds the repository endpoints warroom's post-mortems use.
func (s *Server) routeRepos(mux *http.ServeMux) {
	mux.HandleFunc("GET /repos/{owner}/{repo}", s.serveRepo)
	mux.HandleFunc("GET /repos/{owner}/{repo}/git/ref/{ref...}", s.serveGetRef)
	mux.HandleFunc("POST /repos/{owner}/{repo}/git/refs", s.serveCreateRef)
	mux.HandleFunc("GET /repos/{owner}/{repo}/contents/{path...}", s.serveGetContents)
	mux.HandleFunc("PUT /repos/{owner}/{repo}/contents/{path...}", s.servePutContents)
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls", s.serveListPulls)
	mux.HandleFunc("POST /repos/{owner}/{repo}/pulls", s.serveCreatePull)
	mux.HandleFunc("POST /repos/{owner}/{repo}/issues", s.serveCreateIssue)
}

func repoOf(r *http.Request) string { return r.PathValue("owner") + "/" + r.PathValue("repo") }

func (s *Server) serveRepo(w http.ResponseWriter, r *http.Request) {
	body, ok := s.begin(w, r)
	if !ok {
		return
	}
	writeJSONStatus(w, http.StatusOK, map[string]any{"full_name": repoOf(r),
		"default_branch": "main"})
	s.finish(r, body, http.StatusOK)
}

func (s *Server) serveGetRef(w http.ResponseWriter, r *http.Request) {
	body, ok := s.begin(w, r)
	if !ok {
		return
	}
	branch := strings.TrimPrefix(r.PathValue("ref"), "heads/")
	s.mu.Lock()
	sha, found := s.repos().branches[repoOf(r)+"#"+branch]
	s.mu.Unlock()
	if !found && branch == "main" {
		sha, found = "0000000000000000000000000000000000000000", true
	}
	if !found {
		s.finish(r, body, writeError(w, http.StatusNotFound, "Not Found", ""))
		return
	}
	writeJSONStatus(w, http.StatusOK, map[string]any{"ref": "refs/heads/" + branch,
		"object": map[string]any{"sha": sha, "type": "commit"}})
	s.finish(r, body, http.StatusOK)
}

func (s *Server) serveCreateRef(w http.ResponseWriter, r *http.Request) {
	body, ok := s.begin(w, r)
	if !ok {
		return
	}
	var in struct{ Ref, SHA string }
	if err := json.Unmarshal(body, &in); err != nil || !strings.HasPrefix(in.Ref, "refs/heads/") {
		s.finish(r, body, writeError(w, http.StatusUnprocessableEntity, "Invalid request.", ""))
		return
	}
	key := repoOf(r) + "#" + strings.TrimPrefix(in.Ref, "refs/heads/")
	s.mu.Lock()
	_, exists := s.repos().branches[key]
	if !exists {
		s.repos().branches[key] = in.SHA
	}
	s.mu.Unlock()
	if exists {
		s.finish(r, body, writeError(w, http.StatusUnprocessableEntity,
			"Reference already exists", ""))
		return
	}
	writeJSONStatus(w, http.StatusCreated, map[string]any{"ref": in.Ref,
		"object": map[string]any{"sha": in.SHA}})
	s.finish(r, body, http.StatusCreated)
}

func (s *Server) serveGetContents(w http.ResponseWriter, r *http.Request) {
	body, ok := s.begin(w, r)
	if !ok {
		return
	}
	key := repoOf(r) + "#" + r.URL.Query().Get("ref")
	s.mu.Lock()
	content, found := s.repos().files[key][r.PathValue("path")]
	s.mu.Unlock()
	if !found {
		s.finish(r, body, writeError(w, http.StatusNotFound, "Not Found", ""))
		return
	}
	writeJSONStatus(w, http.StatusOK, map[string]any{"type": "file", "path": r.PathValue("path"),
		"sha": fmt.Sprintf("sha-%d", len(content)), "encoding": "base64",
		"content": base64.StdEncoding.EncodeToString([]byte(content))})
	s.finish(r, body, http.StatusOK)
}

func (s *Server) servePutContents(w http.ResponseWriter, r *http.Request) {
	body, ok := s.begin(w, r)
	if !ok {
		return
	}
	var in struct {
		Message, Content, Branch, SHA string
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Branch == "" {
		s.finish(r, body, writeError(w, http.StatusUnprocessableEntity, "Invalid request.", ""))
		return
	}
	content, err := base64.StdEncoding.DecodeString(in.Content)
	if err != nil {
		s.finish(r, body, writeError(w, http.StatusUnprocessableEntity, "content is not base64",
			""))
		return
	}
	key, path := repoOf(r)+"#"+in.Branch, r.PathValue("path")
	s.mu.Lock()
	files := s.repos().files[key]
	if files == nil {
		files = map[string]string{}
		s.repos().files[key] = files
	}
	_, exists := files[path]
	if exists && in.SHA == "" {
		s.mu.Unlock()
		s.finish(r, body, writeError(w, http.StatusUnprocessableEntity,
			"Invalid request. \"sha\" wasn't supplied.", ""))
		return
	}
	files[path] = string(content)
	s.mu.Unlock()
	writeJSONStatus(w, http.StatusCreated, map[string]any{"content": map[string]any{
		"path": path, "sha": fmt.Sprintf("sha-%d", len(content))}})
	s.finish(r, body, http.StatusCreated)
}

func (s *Server) serveListPulls(w http.ResponseWriter, r *http.Request) {
	body, ok := s.begin(w, r)
	if !ok {
		return
	}
	head := r.URL.Query().Get("head")
	var out []map[string]any
	s.mu.Lock()
	for _, p := range s.repos().pulls {
		if p.Repo == repoOf(r) && (head == "" || strings.HasSuffix(head, ":"+p.Head)) {
			out = append(out, map[string]any{"number": p.Number, "html_url": p.URL,
				"state": "open"})
		}
	}
	s.mu.Unlock()
	if out == nil {
		out = []map[string]any{}
	}
	writeJSONStatus(w, http.StatusOK, out)
	s.finish(r, body, http.StatusOK)
}

func (s *Server) serveCreatePull(w http.ResponseWriter, r *http.Request) {
	body, ok := s.begin(w, r)
	if !ok {
		return
	}
	var in struct{ Title, Head, Base, Body string }
	if err := json.Unmarshal(body, &in); err != nil || in.Head == "" || in.Base == "" {
		s.finish(r, body, writeError(w, http.StatusUnprocessableEntity, "Invalid request.", ""))
		return
	}
	s.mu.Lock()
	s.seq++
	p := PullRequest{Number: s.seq, Repo: repoOf(r), Head: in.Head, Base: in.Base,
		Title: in.Title, Body: in.Body,
		URL: fmt.Sprintf("%s/%s/pull/%d", WebBase, repoOf(r), s.seq)}
	s.repos().pulls = append(s.repos().pulls, p)
	s.mu.Unlock()
	writeJSONStatus(w, http.StatusCreated, map[string]any{"number": p.Number, "html_url": p.URL})
	s.finish(r, body, http.StatusCreated)
}

func (s *Server) serveCreateIssue(w http.ResponseWriter, r *http.Request) {
	body, ok := s.begin(w, r)
	if !ok {
		return
	}
	var in struct {
		Title     string
		Body      string
		Assignees []string
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Title == "" {
		s.finish(r, body, writeError(w, http.StatusUnprocessableEntity, "Invalid request.", ""))
		return
	}
	s.mu.Lock()
	s.seq++
	is := Issue{Number: s.seq, Repo: repoOf(r), Title: in.Title, Body: in.Body,
		Assignees: in.Assignees, URL: fmt.Sprintf("%s/%s/issues/%d", WebBase, repoOf(r), s.seq)}
	s.repos().issues = append(s.repos().issues, is)
	s.mu.Unlock()
	writeJSONStatus(w, http.StatusCreated, map[string]any{"number": is.Number,
		"html_url": is.URL})
	s.finish(r, body, http.StatusCreated)
}

// PullRequests lists the pull requests opened so far.
func (s *Server) PullRequests() []PullRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]PullRequest(nil), s.repos().pulls...)
}

// Issues lists the issues opened so far.
func (s *Server) Issues() []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Issue(nil), s.repos().issues...)
}

// File returns a file's content on a branch of a repository.
func (s *Server) File(repo, branch, path string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.repos().files[repo+"#"+branch][path]
	return c, ok
}

func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
