//! JupyterHub's REST API under `{base_url}hub/api`: the routes, and what every answer
//! carries (headers, JSON errors for unknown paths and methods).

pub mod activity;
pub mod answers;
pub mod deprecated;
pub mod etag;
pub mod explain;
pub mod groups;
pub mod guard;
pub mod hub;
pub mod metrics;
pub mod model_check;
pub mod proxy;
pub mod request;
pub mod runtime_services;
pub mod servers;
pub mod services;
pub mod shares;
pub mod spawn;
pub mod tokens;
pub mod users;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post, put};

use crate::error::ApiError;
use crate::state::SharedState;

/// The largest request body accepted (JupyterHub's bodies are small JSON documents).
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// `OPTIONS` on any API route answers 200 with no body and no authentication (JupyterHub's
/// `APIHandler.options`); any other method the route lacks is 405.
async fn other_method(method: Method) -> Response {
    if method == Method::OPTIONS {
        let mut response = StatusCode::OK.into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    } else {
        ApiError::bare(StatusCode::METHOD_NOT_ALLOWED).into_response()
    }
}

fn api(route: MethodRouter<SharedState>) -> MethodRouter<SharedState> {
    route.fallback(other_method)
}

fn server_routes() -> MethodRouter<SharedState> {
    api(get(servers::get)
        .post(spawn::post)
        .put(servers::put)
        .patch(servers::patch)
        .delete(servers::delete))
}

fn share_routes() -> MethodRouter<SharedState> {
    api(get(shares::list_server_shares)
        .post(shares::grant)
        .patch(shares::revoke)
        .delete(shares::delete_server_shares))
}

fn code_routes() -> MethodRouter<SharedState> {
    api(get(shares::list_server_codes)
        .post(shares::issue_code)
        .delete(shares::delete_codes))
}

/// The hub's routes, for `state`'s `base_url`.
pub fn router(state: SharedState) -> Router {
    let prefix = state.config.hub_prefix();
    let at = |path: &str| format!("{prefix}api{path}");
    let api_prefix = at("/");
    Router::new()
        .route(&at(""), api(get(hub::root)))
        .route(&at("/"), api(get(hub::root)))
        .route(&at("/info"), api(get(hub::info)))
        .route(&at("/shutdown"), api(post(hub::shutdown)))
        .route(&at("/user"), api(get(hub::whoami)))
        .route(&at("/explain"), api(get(explain::explain)))
        .route(&at("/spec"), api(get(hub::spec)))
        .route(
            &at("/users"),
            api(get(users::list).post(users::create_many)),
        )
        .route(
            &at("/users/{name}"),
            api(get(users::get)
                .post(users::create_one)
                .patch(users::patch)
                .delete(users::delete)),
        )
        .route(
            &at("/users/{name}/tokens"),
            api(get(tokens::list).post(tokens::create)),
        )
        .route(
            &at("/users/{name}/tokens/{token_id}"),
            api(get(tokens::get).delete(tokens::delete)),
        )
        .route(&at("/users/{name}/activity"), api(post(activity::post)))
        .route(
            &at("/users/{name}/admin-access"),
            api(post(deprecated::admin_access)),
        )
        .route(
            &at("/users/{name}/tokens/"),
            api(get(tokens::get_empty_id).delete(tokens::delete_empty_id)),
        )
        .route(
            &at("/authorizations/token"),
            api(post(deprecated::token_post)),
        )
        .route(
            &at("/authorizations/token/{token}"),
            api(get(deprecated::token_owner).post(deprecated::token_post)),
        )
        .route(
            &at("/authorizations/cookie/{name}"),
            api(get(deprecated::cookie_owner)),
        )
        .route(
            &at("/authorizations/cookie/{name}/{value}"),
            api(get(deprecated::cookie_owner)),
        )
        .route(&at("/users/{name}/server"), server_routes())
        .route(&at("/users/{name}/servers/"), server_routes())
        .route(&at("/users/{name}/servers/{server}"), server_routes())
        .route(
            &at("/users/{name}/server/progress"),
            api(get(spawn::progress)),
        )
        .route(
            &at("/users/{name}/servers/{server}/progress"),
            api(get(spawn::progress)),
        )
        .route(
            &at("/groups"),
            api(get(groups::list).post(groups::create_many)),
        )
        .route(
            &at("/groups/{name}"),
            api(get(groups::get)
                .post(groups::create_one)
                .delete(groups::delete)),
        )
        .route(
            &at("/groups/{name}/users"),
            api(post(groups::add_members).delete(groups::remove_members)),
        )
        .route(
            &at("/groups/{name}/properties"),
            api(put(groups::set_properties)),
        )
        .route(&at("/shares/{owner}"), api(get(shares::list_server_shares)))
        .route(&at("/shares/{owner}/"), share_routes())
        .route(&at("/shares/{owner}/{server}"), share_routes())
        .route(
            &at("/users/{user}/shared"),
            api(get(shares::list_user_shared)),
        )
        .route(
            &at("/users/{user}/shared/{owner}/"),
            api(get(shares::get_user_share).delete(shares::delete_user_share)),
        )
        .route(
            &at("/users/{user}/shared/{owner}/{server}"),
            api(get(shares::get_user_share).delete(shares::delete_user_share)),
        )
        .route(
            &at("/groups/{group}/shared"),
            api(get(shares::list_group_shared)),
        )
        .route(
            &at("/groups/{group}/shared/{owner}/"),
            api(get(shares::get_group_share).delete(shares::delete_group_share)),
        )
        .route(
            &at("/groups/{group}/shared/{owner}/{server}"),
            api(get(shares::get_group_share).delete(shares::delete_group_share)),
        )
        .route(
            &at("/share-codes/{owner}"),
            api(get(shares::list_server_codes)),
        )
        .route(&at("/share-codes/{owner}/"), code_routes())
        .route(&at("/share-codes/{owner}/{server}"), code_routes())
        .route(&at("/services"), api(get(services::list)))
        .route(
            &at("/services/{name}"),
            api(get(services::get)
                .post(runtime_services::create)
                .delete(runtime_services::delete)),
        )
        .route(
            &at("/proxy"),
            api(get(proxy::get).post(proxy::post).patch(proxy::patch)),
        )
        .route(
            &at("/oauth2/authorize"),
            get(crate::oauth::authorize::get).post(crate::oauth::authorize::post),
        )
        .route(&at("/oauth2/token"), api(post(crate::oauth::token::post)))
        .route(
            &format!("{prefix}login"),
            get(crate::login::pages::login_get).post(crate::login::pages::login_post),
        )
        .route(&format!("{prefix}logout"), get(crate::login::pages::logout))
        .route(&format!("{prefix}health"), get(hub::health))
        .route(&format!("{prefix}metrics"), get(metrics::metrics))
        .route(&at("/metrics"), get(metrics::metrics))
        .route(&at("/health"), get(hub::health))
        .fallback(move |request: Request| not_found(api_prefix.clone(), request))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::login::api_cookie::middleware,
        ))
        .layer(middleware::from_fn(etag::etag))
        .layer(middleware::from_fn(common_headers))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(
            tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer::new([
                header::AUTHORIZATION,
                header::COOKIE,
            ]),
        )
        .with_state(state)
}

/// Unknown paths: JSON 404 with a `null` message under the API (JupyterHub's `API404`),
/// a plain 404 elsewhere.
async fn not_found(api_prefix: String, request: Request) -> Response {
    let path = request.uri().path();
    if path.starts_with(&api_prefix) || path == api_prefix.trim_end_matches('/') {
        ApiError::bare(StatusCode::NOT_FOUND).into_response()
    } else {
        let mut response = (StatusCode::NOT_FOUND, "404: Not Found").into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=UTF-8"),
        );
        response
    }
}

/// The headers of every hub answer (reference §1.3).
async fn common_headers(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    // /hub/api/health is a page handler, with the pages' policy.
    // /hub/api/oauth2/authorize is a page handler too (JupyterHub's BaseHandler).
    let is_api = path.contains("/api")
        && !path.ends_with("/health")
        && !path.ends_with("/metrics")
        && !path.ends_with("/oauth2/authorize");
    let is_root = path.ends_with("/hub/api") || path.ends_with("/hub/api/");
    let mut response = next.run(request).await;
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        response = ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Request body larger than {MAX_BODY_BYTES} bytes"),
        )
        .into_response();
    }
    let status = response.status();
    let headers = response.headers_mut();
    if status == StatusCode::NO_CONTENT {
        // tornado sends a 204 without a body or a content type.
        headers.remove(header::CONTENT_TYPE);
    }
    if is_root {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
    headers.insert(
        "x-jupyterhub-version",
        HeaderValue::from_static(hub::JUPYTERHUB_VERSION),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if is_api {
            "frame-ancestors 'none'; report-uri /hub/security/csp-report; default-src 'none'"
        } else {
            "frame-ancestors 'none'; report-uri /hub/security/csp-report"
        }),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("accept, content-type, authorization"),
    );
    response
}
