//! The GHG Protocol Scope 3 category that spend on an industry's output goes under, for the
//! industries whose category is not 1 (purchased goods and services) by their nature alone:
//! passenger transport and traveller accommodation are business travel (category 6),
//! freight, couriers and warehousing bought by the company are upstream transportation and
//! distribution (4), waste collection and treatment is waste generated in operations (5).
//!
//! Source: GHG Protocol, *Technical Guidance for Calculating Scope 3 Emissions* (2013),
//! chapters 4, 5 and 6, which name these activities for these categories. The codes are
//! 2017 NAICS codes of the shipped US EPA spend-based set; a code left out (pipelines,
//! towing, remediation, school and employee buses, ...) has no single category by industry
//! alone and takes category 1 unless a person or an account mapping says otherwise.

/// 6, business travel: scheduled and chartered passenger flights, passenger shipping,
/// transit, bus, taxi and limousine, and hotels, motels, casino hotels, B&Bs and other
/// traveller accommodation.
const BUSINESS_TRAVEL: &[&str] = &[
    "481111", "481211", "483112", "483114", "483212", "485111", "485112", "485113", "485119",
    "485210", "485310", "485320", "485510", "485999", "721110", "721120", "721191", "721199",
];

/// 4, upstream transportation and distribution: freight by air, rail, water and road,
/// freight arrangement, packing and crating, post, couriers and warehousing.
const UPSTREAM_TRANSPORT: &[&str] = &[
    "481112", "481212", "482111", "482112", "483111", "483113", "483211", "484110", "484121",
    "484122", "484210", "484220", "484230", "488510", "488991", "491110", "492110", "492210",
    "493110", "493120", "493130", "493190",
];

/// 5, waste generated in operations: collection, treatment and disposal of solid and
/// hazardous waste, and materials recovery.
const WASTE: &[&str] = &[
    "562111", "562112", "562119", "562211", "562212", "562213", "562219", "562920",
];

/// The Scope 3 category (4, 5 or 6) of spend counted with NAICS factor `code`, where its
/// industry settles it; `None` for every other code (category 1 is then the default).
pub fn scope3_category_by_industry(code: &str) -> Option<u8> {
    let code = code.trim();
    [(6, BUSINESS_TRAVEL), (4, UPSTREAM_TRANSPORT), (5, WASTE)]
        .into_iter()
        .find(|(_, codes)| codes.contains(&code))
        .map(|(category, _)| category)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passengers_are_business_travel_and_freight_is_transport() {
        assert_eq!(scope3_category_by_industry("481111"), Some(6));
        assert_eq!(scope3_category_by_industry("481112"), Some(4));
        assert_eq!(scope3_category_by_industry(" 721110 "), Some(6));
        assert_eq!(scope3_category_by_industry("562212"), Some(5));
        assert_eq!(scope3_category_by_industry("541211"), None);
        assert_eq!(scope3_category_by_industry("486110"), None);
    }

    #[test]
    fn every_listed_code_is_in_the_shipped_factor_set() {
        let calc = crate::Calculator::builtin().expect("the shipped tables load");
        for code in BUSINESS_TRAVEL
            .iter()
            .chain(UPSTREAM_TRANSPORT)
            .chain(WASTE)
        {
            assert!(
                calc.factor(code).is_some(),
                "{code} is not a factor of the set"
            );
        }
    }
}
