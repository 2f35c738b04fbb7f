"""Regenerate data/raw/registry.csv from the local mirror's SHA256SUMS and official-releases.csv.

The URL map below is transcribed from the mirror's README.md (``gh:OWNER/REPO@COMMIT:PATH``
-> raw.githubusercontent.com). The CSV it writes is the source of truth; this script only
documents how it was made. Usage: ``python tools/make_registry.py [MIRROR]``.
"""

from __future__ import annotations

import csv
import hashlib
import sys
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
OGL = "Open Government Licence v3.0"


def gh(spec: str) -> str:
    """``OWNER/REPO@COMMIT:PATH`` -> raw.githubusercontent.com URL (path URL-encoded)."""
    repo, rest = spec.split("@", 1)
    commit, path = rest.split(":", 1)
    return f"https://raw.githubusercontent.com/{repo}/{commit}/{quote(path)}"


HADEMI = "HademiData/Datesets@e08c17c4b27d09e638644be33393bb2acfd72e96"
VAHID = (
    "vahidsharifi/crown-prosecution-service-data-analysis@792f233205f55ecea8e6a6d80bb1a8bf99132801"
)
UKCA = "robertmaszkiewski/uk-crime-analysis@486c31f7194618daece6780d090a346333bd99eb"

# name -> (origin spec or "", publisher, licence, description)
FILES: dict[str, tuple[str, str, str, str]] = {
    "homeoffice/prc-pfa-mar2013-onwards-tables-230426.long.parquet": (
        f"{UKCA}:data/clean/prc_pfa_long.parquet",
        "Home Office",
        OGL,
        "Police recorded crime PFA open data tables, 23 Apr 2026 release, all year sheets stacked (long)",
    ),
    "homeoffice/prc-pfa-mar2013-onwards-tables-2018-release.2017-18-sheet.csv": (
        "Sparrow0hawk/crime_sim_toolkit@dc00421b12113f33477dc7d43a8864dd87af92ce:crime_sim_toolkit/src/prc-pfa-mar2013-onwards-tables201718.csv",
        "Home Office",
        OGL,
        "PFA tables, 2017/18 sheet of the 2018/19-era release (official column names; zero as ' -00')",
    ),
    "homeoffice/prc-outcomes-open-data-mar2018-tables.tidy.csv.gz": (
        "mpjashby/cj-charts@1217372a94c7da25fdceb516ed6dd9c967c05f73:content/detection-rates-data.csv.gz",
        "Home Office",
        OGL,
        "Crime outcomes open data, year ending March 2018 edition, tidy snake_case export",
    ),
    "homeoffice/prc-outcomes-open-data-mar2019-tables.csv.gz": (
        "mpjashby/lesscrime.info@298bac3a74cbd392c7d1028d6c19d9c27b47a8e8:content/post/violence-prosecutions-raw-data.csv.gz",
        "Home Office",
        OGL,
        "Crime outcomes open data, year ending March 2019 edition, official column names",
    ),
    "homeoffice/outcomes-charged-by-offence-code-ew-2014-15q1-to-2024-25q1.csv": (
        "tcarver1234/hmt_hackathon@e0d95a37fd4ff456af0d9172a1bf563b3a491da9:Data/justice/charges_by_Offence Code_and_crime_severity(in).csv",
        "Home Office",
        OGL,
        "E&W charged/summonsed outcomes by offence code, closure measure, 2014/15 Q1-2024/25 Q1 (2024 edition)",
    ),
    "cps/transcribed/national-rape-cps.csv": (
        "",
        "Crown Prosecution Service (transcribed)",
        OGL,
        "CPS national rape-flagged figures typed from public pages (source URL per row); local mirror only",
    ),
    "cps/transcribed/west-midlands-rape.csv": (
        "",
        "Crown Prosecution Service (transcribed)",
        OGL,
        "West Midlands rape figures typed from public pages (see NOTES.md); local mirror only",
    ),
    "cps/transcribed/NOTES.md": (
        "",
        "project",
        "CC-BY-4.0",
        "Notes on the transcribed CPS tables: definitions, breaks, conflicts; local mirror only",
    ),
    "moj/rape-sentenced-2009-2019.csv": (
        "tkhartman/young-adults-uk-courts@ab79e5b0356006e796a49440039ed631b90d00a0:Updated_Analysis_2007_2019/Court_outcomes_by_PFA_2009-2019.RData",
        "Ministry of Justice",
        OGL,
        "Offenders sentenced for rape 2009-2019 (filtered from the origin RData: the URL is the origin, not a byte copy)",
    ),
    "moj/rape-prosecution-times-2011-2018.csv": (
        "mpjashby/lesscrime.info@45e92ee4dcef39a68bea920c38700a875cf22b98:content/post/rape-prosecution-times-data.csv.gz",
        "Ministry of Justice",
        OGL,
        "Criminal court statistics: rape prosecution times 2011-2018 (origin is gzip-compressed)",
    ),
    "moj/prosecution-times-2018-by-offence.csv": (
        "mpjashby/lesscrime.info@45e92ee4dcef39a68bea920c38700a875cf22b98:public/post/prosecution-times-raw-data.csv",
        "Ministry of Justice",
        OGL,
        "Criminal court statistics: prosecution times by offence, 2018",
    ),
    "population/pfa-population-mid2024.csv": (
        f"{UKCA}:data/clean/pfa_population_2024.csv",
        "Office for National Statistics",
        OGL,
        "Mid-2024 population, 43 police force areas",
    ),
    "population/pfa-population-mid2018.csv": (
        "M-O-P-D/popm@7ae56d26b1e4c7ef66ea9de51f4ce011ac8df9bd:data/population_data.csv",
        "Office for National Statistics",
        OGL,
        "Mid-2018 population by police force area, with codes",
    ),
    "population/pfa-population-mid2001-2010-thousands.csv": (
        "M-O-P-D/popm@54cc1e64402daa343fcebdb1deed2ff54834e584:data/population-police-force.csv",
        "Office for National Statistics",
        OGL,
        "Mid-2001 to mid-2010 population by force area, thousands",
    ),
    "population/ons-pfa-tables-year-ending-march-2018.xlsx": (
        "RG-1427/Data-Analytics@ec5f0b1144a197e18b4418dae4a7a26961128f3d:policeforceareatablesyearendingmarch2018v2.xlsx",
        "Office for National Statistics",
        OGL,
        "ONS PFA data tables YE March 2018 (P9: population mid-2002..2016; P3: mid-2017)",
    ),
    "population/lad-population-2001-2020.csv.gz": (
        "mpjashby/lesscrime.info@ba57b0a0a191ab2a90582d310b73fca556e38b49:content/post/crime-pressure-force-2022-pop-data.csv.gz",
        "Office for National Statistics",
        OGL,
        "Mid-year population by local authority 2001-2020",
    ),
    "homeoffice/oocd-dashboard-force-offence-group-year-2014-15-to-2025-26.csv": (
        "SGilr/oocd-dashboard@7d0066eed8e4021d9d3c58d113fe29b54967d1ef:data/processed/force_offence_year.csv",
        "Home Office (aggregated by Oxon Advisory's OOCD dashboard)",
        OGL,
        "Charged/summonsed and out-of-court outcomes by force x financial year x offence group, "
        "2014/15-2025/26, closure and cohort measures (third-party aggregate of the July 2026 "
        "outcomes open data)",
    ),
    "homeoffice/oocd-dashboard-force-quarter-all-offences-2014-15-to-2025-26.csv": (
        "SGilr/oocd-dashboard@7d0066eed8e4021d9d3c58d113fe29b54967d1ef:data/processed/force_quarter.csv",
        "Home Office (aggregated by Oxon Advisory's OOCD dashboard)",
        OGL,
        "Outcomes for all offences by force x financial quarter, 2014/15 Q1-2025/26 Q4, closure "
        "and cohort measures, charged/summonsed, out-of-court types and all assigned (third-party "
        "aggregate of the July 2026 outcomes open data)",
    ),
    "homeoffice/oocd-dashboard-national-quarter-all-offences-2014-15-to-2025-26.csv": (
        "SGilr/oocd-dashboard@7d0066eed8e4021d9d3c58d113fe29b54967d1ef:data/processed/national_quarter.csv",
        "Home Office (aggregated by Oxon Advisory's OOCD dashboard)",
        OGL,
        "The England and Wales total (44 forces with BTP) of the force x quarter all-offence "
        "outcomes file",
    ),
    "population/ons-mye-ew-mid2011-to-mid2023-lad2023.xlsx": (
        "jamesLSI/ecom185@37d6841b28475c84f283351a97c44d4c5999d297:data/LAD23_Mid_Year_pop_2011_to_2023.xlsx",
        "Office for National Statistics",
        OGL,
        "Mid-year population estimates, England and Wales, mid-2011 to mid-2023 on 2023 local "
        "authority boundaries (post-2021-Census rebased; sheet MYE4)",
    ),
    "population/lad23-csp23-pfa23-lookup-dec2023.csv": (
        "jamesLSI/ecom185@d73f26e6a517f6ae22c273b2345572c9a2967232:data/Local_Authority_District_to_CSPs_to_Police_Force_Areas_(December__2023)_Lookup_.csv",
        "Office for National Statistics",
        OGL,
        "Local authority district (Dec 2023) to community safety partnership to police force "
        "area lookup",
    ),
    "population/csp-to-pfa-lookup.csv": (
        f"{UKCA}:data/geo/recrime-geo-pfa.csv",
        "Office for National Statistics",
        OGL,
        "Community safety partnership to police force area lookup",
    ),
    "timeline/interventions-sources.csv": (
        "",
        "project",
        "CC-BY-4.0",
        "Dated policy events with public source URLs; local mirror only",
    ),
    "validation/sicily.csv": (
        "gasparrini/2017_lopezbernal_IJE_codedata@85456263850d03ae39439e032929347c40ff3a26:sicily.csv",
        "Lopez Bernal, Cummins & Gasparrini (2017)",
        "see origin repository",
        "Sicily smoking-ban ITS tutorial data (Int J Epidemiol 46(1):348-355)",
    ),
    "validation/california_prop99.csv": (
        "synth-inference/synthdid@70c1ce3eac58e28c30b67435ca377bb48baa9b8a:data/california_prop99.csv",
        "Abadie, Diamond & Hainmueller (2010) via synthdid",
        "see origin repository",
        "California Proposition 99 cigarette sales panel (';'-separated)",
    ),
}


def url_for(name: str, spec: str) -> str:
    if spec:
        return gh(spec)
    cps = "cps/case-outcomes-by-principal-offence/"
    fname = name.rsplit("/", 1)[-1]
    if name.startswith(cps + "quarterly/"):
        return gh(f"{HADEMI}:{fname}")
    if name.startswith(cps + "monthly/"):
        year = fname[:4]
        return gh(f"{VAHID}:Dataset - Assignment/{year}/{fname}")
    return ""


def main(mirror: Path) -> None:
    rows = []
    sums = {}
    for line in (mirror / "SHA256SUMS").read_text().splitlines():
        if line.strip():
            h, name = line.split(None, 1)
            sums[name.strip().lstrip("*")] = h
    extra = {"cps/transcribed/NOTES.md"} - set(sums)
    for name in extra:  # notes are documentation the readers rely on; hash them too
        sums[name] = hashlib.sha256((mirror / name).read_bytes()).hexdigest()
    for name in sorted(sums):
        spec, publisher, licence, desc = FILES.get(name, ("", "", "", ""))
        if name.startswith("cps/case-outcomes-by-principal-offence/"):
            publisher, licence = "Crown Prosecution Service", OGL
            desc = "CPS case outcomes by principal offence category, " + (
                "quarterly" if "/quarterly/" in name else "monthly"
            )
        if not publisher:
            raise SystemExit(f"no registry metadata for {name}")
        rows.append(
            {
                "name": name,
                "sha256": sums[name],
                "size": (mirror / name).stat().st_size,
                "url": url_for(name, spec),
                "publisher": publisher,
                "licence": licence,
                "description": desc,
                "required": "yes",
            }
        )
    with open(mirror / "official-releases.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            rows.append(
                {
                    "name": f"homeoffice/official/{r['file']}",
                    "sha256": r["sha256"],
                    "size": int(r["bytes"]),
                    "url": r["url"],
                    "publisher": "Home Office",
                    "licence": OGL,
                    "description": f"Official Home Office release ({r['financial_years']}); optional, not mirrored",
                    "required": "no",
                }
            )
    out = ROOT / "data" / "raw" / "registry.csv"
    with open(out, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {out} ({len(rows)} rows)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data")
