package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	gh "github.com/google/go-github/v60/github"

	"warroom/bot"
)

var _ bot.PostmortemPublisher = (*Client)(nil)

// The call metric labels of post-mortem publishing.
const (
	methodPostmortemPR = "postmortem.pull_request"
	methodIssue        = "issues.create"
)

// OpenPostmortemPR puts content at path on branch (made from the default
// branch when missing) and opens a pull request of it, or finds the one
// already open; it returns the pull request's URL. Every step can be
// repeated without harm, so a retry after a failure finishes the job.
func (c *Client) OpenPostmortemPR(ctx context.Context, repo, branch, path, title, body,
	content string) (string, error) {

	what := fmt.Sprintf("open a post-mortem pull request on %s", repo)
	owner, name, err := splitRepo(repo)
	if err != nil {
		return "", bot.Permanent(fmt.Errorf("github %s: %w", what, err))
	}
	o, n := url.PathEscape(owner), url.PathEscape(name)

	var base string
	err = c.call(ctx, methodPostmortemPR, what, func(ctx context.Context) (*gh.Response, error) {
		r, resp, err := c.api.Repositories.Get(ctx, o, n)
		base = r.GetDefaultBranch()
		return resp, err
	})
	if err != nil {
		return "", err
	}
	if err := c.ensureBranch(ctx, o, n, base, branch, what); err != nil {
		return "", err
	}
	if err := c.putFile(ctx, o, n, branch, path, title, content, what); err != nil {
		return "", err
	}
	return c.ensurePull(ctx, o, n, owner, base, branch, title, body, what)
}

func (c *Client) ensureBranch(ctx context.Context, o, n, base, branch, what string) error {
	var sha string
	err := c.call(ctx, methodPostmortemPR, what, func(ctx context.Context) (*gh.Response, error) {
		ref, resp, err := c.api.Git.GetRef(ctx, o, n, "heads/"+base)
		sha = ref.GetObject().GetSHA()
		return resp, err
	})
	if err != nil {
		return err
	}
	err = c.call(ctx, methodPostmortemPR, what, func(ctx context.Context) (*gh.Response, error) {
		_, resp, err := c.api.Git.CreateRef(ctx, o, n, &gh.Reference{
			Ref: gh.String("refs/heads/" + branch), Object: &gh.GitObject{SHA: gh.String(sha)}})
		if resp != nil && resp.StatusCode == http.StatusUnprocessableEntity {
			return resp, nil // the branch exists: a retry
		}
		return resp, err
	})
	return err
}

func (c *Client) putFile(ctx context.Context, o, n, branch, path, title, content,
	what string) error {

	var sha *string
	err := c.call(ctx, methodPostmortemPR, what, func(ctx context.Context) (*gh.Response, error) {
		f, _, resp, err := c.api.Repositories.GetContents(ctx, o, n, path,
			&gh.RepositoryContentGetOptions{Ref: branch})
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return resp, nil
		}
		sha = f.SHA
		return resp, err
	})
	if err != nil {
		return err
	}
	opts := &gh.RepositoryContentFileOptions{Message: gh.String(title),
		Content: []byte(content), Branch: gh.String(branch), SHA: sha}
	return c.call(ctx, methodPostmortemPR, what, func(ctx context.Context) (*gh.Response, error) {
		var (
			resp *gh.Response
			err  error
		)
		if sha == nil {
			_, resp, err = c.api.Repositories.CreateFile(ctx, o, n, path, opts)
		} else {
			_, resp, err = c.api.Repositories.UpdateFile(ctx, o, n, path, opts)
		}
		return resp, err
	})
}

func (c *Client) ensurePull(ctx context.Context, o, n, owner, base, branch, title, body,
	what string) (string, error) {

	var found string
	err := c.call(ctx, methodPostmortemPR, what, func(ctx context.Context) (*gh.Response, error) {
		prs, resp, err := c.api.PullRequests.List(ctx, o, n, &gh.PullRequestListOptions{
			State: "open", Head: owner + ":" + branch})
		if len(prs) > 0 {
			found = prs[0].GetHTMLURL()
		}
		return resp, err
	})
	if err != nil || found != "" {
		return found, err
	}

	err = c.call(ctx, methodPostmortemPR, what, func(ctx context.Context) (*gh.Response, error) {
		pr, resp, err := c.api.PullRequests.Create(ctx, o, n, &gh.NewPullRequest{
			Title: gh.String(title), Head: gh.String(branch), Base: gh.String(base),
			Body: gh.String(body)})
		found = pr.GetHTMLURL()
		return resp, err
	})
	return found, err
}

// OpenIssue opens an issue, assigned to assignee when given, and returns
// its URL.
func (c *Client) OpenIssue(ctx context.Context, repo, title, body, assignee string) (string,
	error) {

	what := fmt.Sprintf("open an issue on %s", repo)
	owner, name, err := splitRepo(repo)
	if err != nil {
		return "", bot.Permanent(fmt.Errorf("github %s: %w", what, err))
	}
	req := &gh.IssueRequest{Title: gh.String(title), Body: gh.String(body)}
	if assignee != "" {
		req.Assignees = &[]string{assignee}
	}
	var link string
	err = c.call(ctx, methodIssue, what, func(ctx context.Context) (*gh.Response, error) {
		is, resp, err := c.api.Issues.Create(ctx, url.PathEscape(owner), url.PathEscape(name),
			req)
		link = is.GetHTMLURL()
		return resp, err
	})
	if link == "" && err == nil {
		err = errors.New("github answered without the issue's address")
	}
	return link, err
}
