use carbonsync_providers::xero::dates::{
    format_date, format_datetime, parse_date, parse_datetime, DateError,
};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn reads_a_date_with_a_zero_offset() {
    assert_eq!(
        parse_datetime("/Date(1476316800000+0000)/"),
        Ok(utc("2016-10-13T00:00:00Z"))
    );
    assert_eq!(
        parse_date("/Date(1476316800000+0000)/"),
        Ok(NaiveDate::from_ymd_opt(2016, 10, 13).unwrap())
    );
}

#[test]
fn keeps_the_milliseconds_of_an_update_time() {
    assert_eq!(
        parse_datetime("/Date(1710410400123+0000)/"),
        Ok(utc("2024-03-14T10:00:00.123Z"))
    );
}

#[test]
fn reads_a_date_without_an_offset() {
    assert_eq!(
        parse_datetime("/Date(1439434356790)/"),
        Ok(utc("2015-08-13T02:52:36.790Z"))
    );
}

#[test]
fn treats_the_number_as_utc_whatever_the_offset_says() {
    // The offset records the zone the value was entered in; the number is already UTC.
    assert_eq!(
        parse_datetime("/Date(1476316800000+1300)/"),
        parse_datetime("/Date(1476316800000-0500)/")
    );
    assert_eq!(
        parse_date("/Date(1476316800000+1300)/"),
        Ok(NaiveDate::from_ymd_opt(2016, 10, 13).unwrap())
    );
}

#[test]
fn reads_dates_before_1970() {
    assert_eq!(
        parse_date("/Date(-86400000+0000)/"),
        Ok(NaiveDate::from_ymd_opt(1969, 12, 31).unwrap())
    );
    assert_eq!(
        parse_datetime("/Date(-1)/"),
        Ok(utc("1969-12-31T23:59:59.999Z"))
    );
    // Xero's "no date" sentinel, 0001-01-01.
    assert_eq!(
        parse_date("/Date(-62135596800000+0000)/"),
        Ok(NaiveDate::from_ymd_opt(1, 1, 1).unwrap())
    );
}

#[test]
fn reads_the_iso_forms_some_fields_use() {
    assert_eq!(
        parse_datetime("2016-10-13T00:00:00"),
        Ok(utc("2016-10-13T00:00:00Z"))
    );
    assert_eq!(
        parse_datetime("2024-03-14T10:00:00.1234560"),
        Ok(utc("2024-03-14T10:00:00.123456Z"))
    );
    assert_eq!(
        parse_datetime("2024-03-14T12:00:00+02:00"),
        Ok(utc("2024-03-14T10:00:00Z"))
    );
    assert_eq!(
        parse_date("2024-03-14"),
        Ok(NaiveDate::from_ymd_opt(2024, 3, 14).unwrap())
    );
}

#[test]
fn refuses_what_is_not_a_date() {
    for text in [
        "",
        "/Date()/",
        "/Date(abc)/",
        "/Date(123+00)/",
        "/Date(123+0000/",
        "/Date(--5)/",
        "yesterday",
        "14/03/2024",
    ] {
        assert_eq!(parse_datetime(text), Err(DateError::Format), "{text:?}");
    }
    assert_eq!(
        parse_datetime("/Date(99999999999999999)/"),
        Err(DateError::OutOfRange)
    );
}

#[test]
fn writes_dates_the_way_xero_does() {
    let instant =
        Utc.with_ymd_and_hms(2024, 3, 14, 10, 0, 0).unwrap() + chrono::Duration::milliseconds(123);
    assert_eq!(format_datetime(&instant), "/Date(1710410400123+0000)/");
    assert_eq!(parse_datetime(&format_datetime(&instant)), Ok(instant));
    let day = NaiveDate::from_ymd_opt(2024, 3, 12).unwrap();
    assert_eq!(format_date(&day), "/Date(1710201600000+0000)/");
}

#[test]
fn reads_dates_with_escaped_slashes_inside_json() {
    // Xero's .NET serializer writes "\/Date(…)\/"; JSON unescaping must happen first.
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(with = "carbonsync_providers::xero::dates::datetime")]
        at: DateTime<Utc>,
        #[serde(with = "carbonsync_providers::xero::dates::date")]
        on: NaiveDate,
    }
    let probe: Probe = serde_json::from_str(
        r#"{"at":"\/Date(1710410400123+0000)\/","on":"\/Date(1710201600000+0000)\/"}"#,
    )
    .unwrap();
    assert_eq!(probe.at, utc("2024-03-14T10:00:00.123Z"));
    assert_eq!(probe.on, NaiveDate::from_ymd_opt(2024, 3, 12).unwrap());
}

#[test]
fn names_the_position_but_not_the_text_of_a_bad_date() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Probe {
        #[serde(with = "carbonsync_providers::xero::dates::datetime")]
        at: DateTime<Utc>,
    }
    let error = serde_json::from_str::<Probe>(r#"{"at":"/Date(SECRET)/"}"#).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("column"), "{message}");
    assert!(!message.contains("SECRET"), "{message}");
}
