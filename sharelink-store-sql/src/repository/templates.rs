//! [`TemplateStore`] over SQL.

use super::*;
use sharelink_core::ports::TemplateStore;

#[async_trait]
impl TemplateStore for SqlStore {
    async fn put_template(
        &self,
        owner: &UserId,
        name: &str,
        body: &TemplateBody,
    ) -> Result<Template> {
        let row = template::ActiveModel {
            id: NotSet,
            owner: Set(owner.as_str().to_owned()),
            name: Set(name.to_owned()),
            body: Set(to_json(body)?),
        };
        let id = template::Entity::insert(row)
            .exec(self.connection())
            .await
            .map_err(DbError)?
            .last_insert_id;
        Ok(Template {
            id,
            owner: owner.clone(),
            name: name.to_owned(),
            body: body.clone(),
        })
    }

    async fn list_templates(&self, owner: &UserId) -> Result<Vec<Template>> {
        template::Entity::find()
            .filter(template::Column::Owner.eq(owner.as_str()))
            .order_by_asc(template::Column::Id)
            .all(self.connection())
            .await
            .map_err(DbError)?
            .into_iter()
            .map(template_from)
            .collect()
    }

    async fn get_template(&self, owner: &UserId, id: i64) -> Result<Option<Template>> {
        template::Entity::find()
            .filter(template::Column::Owner.eq(owner.as_str()))
            .filter(template::Column::Id.eq(id))
            .one(self.connection())
            .await
            .map_err(DbError)?
            .map(template_from)
            .transpose()
    }

    async fn update_template(
        &self,
        owner: &UserId,
        id: i64,
        name: &str,
        body: &TemplateBody,
    ) -> Result<Option<Template>> {
        // One conditional statement: only the owner's row changes.
        let done = template::Entity::update_many()
            .col_expr(template::Column::Name, Expr::value(name.to_owned()))
            .col_expr(template::Column::Body, Expr::value(to_json(body)?))
            .filter(template::Column::Owner.eq(owner.as_str()))
            .filter(template::Column::Id.eq(id))
            .exec(self.connection())
            .await
            .map_err(DbError)?;
        if done.rows_affected == 0 {
            return Ok(None);
        }
        Ok(Some(Template {
            id,
            owner: owner.clone(),
            name: name.to_owned(),
            body: body.clone(),
        }))
    }

    async fn delete_template(&self, owner: &UserId, id: i64) -> Result<bool> {
        let done = template::Entity::delete_many()
            .filter(template::Column::Owner.eq(owner.as_str()))
            .filter(template::Column::Id.eq(id))
            .exec(self.connection())
            .await
            .map_err(DbError)?;
        Ok(done.rows_affected > 0)
    }
}
