"""wapiti's sign-in for the support pass of benchmarks/scan.sh (`--form-script`, run inside wapiti's environment).

Signs in, opens the demo subject's record with a reason and starts acting on their behalf on a basis scan, as support
staff do: the crawl then starts inside the acting session, so it reaches the act-on-behalf form (shown only after the
reason step) and the cabinet's pages under it.
"""

import re

import httpx

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
REASON = "Scan: the subject's written request of today, in the office"


def hidden(page: str) -> dict[str, str]:
    """The hidden fields of a page's forms (CSRF token, one-time submission token), as a browser sends them."""
    return dict(re.findall(r'name="([\w-]+)" type="hidden" value="([^"]*)"', page))


async def run(crawler_configuration, form_credential, headless="no"):
    """wapiti's entry point: leave the signed-in, acting session's cookies to the crawler."""
    base = form_credential.url.rsplit("/login", 1)[0]
    async with httpx.AsyncClient(base_url=base, verify=False, headers={"Referer": base + "/"}) as client:
        page = (await client.get("/login")).text
        await client.post("/login", data={**hidden(page), "email": form_credential.username,
                                          "password": form_credential.password})
        found = re.search(r'href="(/staff/subjects/\d+)"', (await client.get("/staff/subjects?q=demo")).text)
        if found is None:
            raise SystemExit("acting: sign-in failed or the demo subject was not found")
        record = found[1]
        page = (await client.get(record)).text
        page = (await client.post(record, data={**hidden(page), "reason": REASON}, follow_redirects=True)).text
        acted = await client.post(record + "/act", data={**hidden(page), "reason": REASON},
                                  files={"basis": ("request.pdf", PDF, "application/pdf")})
        if not acted.headers.get("location", "").endswith("/cabinet"):
            raise SystemExit(f"acting: the act-on-behalf form answered HTTP {acted.status_code}")
        print(f"acting on behalf of the subject of {record}")
        crawler_configuration.cookies = client.cookies.jar
